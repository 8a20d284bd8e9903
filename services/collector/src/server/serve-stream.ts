// The gRPC side of one GetFlows-style stream, shared by Observer.GetFlows and the batched
// FlowStream: parse the request, follow the ring, wait for the client when it is slow, stop when
// it goes away, end or fail the call. Only how responses are written differs (a StreamWriter).
import type { GetFlowsRequest, GetFlowsResponse } from "@flowlens/proto";
import { drainedOrCancelled } from "@flowlens/runtime";
import * as grpc from "@grpc/grpc-js";
import { type FlowQuery, type StreamDeps, streamFlows } from "../flows/stream.js";
import { toQuery } from "./flow-query.js";
import type { ObserverState } from "./observer-state.js";

export interface StreamWriter {
  /** Queues one response; false when the stream should wait for the client (drain). */
  send(resp: GetFlowsResponse | Uint8Array): boolean;
  /** Sends what is held back: called when the stream has nothing more to read, and at its end. */
  flush?(): void;
  /** The client went away: stop timers. */
  close?(): void;
}

type AnyWritableCall = grpc.ServerWritableStream<GetFlowsRequest, never>;

/** `makeWriter` gets a check for "the client went away" and returns how this stream writes. */
export function serveFlowStream(call: AnyWritableCall, state: ObserverState, makeWriter: (cancelled: () => boolean) => StreamWriter): void {
  let q: FlowQuery;
  try {
    q = toQuery(call.request);
  } catch (e) {
    call.emit("error", { code: grpc.status.INVALID_ARGUMENT, details: (e as Error).message });
    return;
  }
  let cancelled = false;
  let wake: (() => void) | undefined;
  const writer = makeWriter(() => cancelled);
  const unsubscribe = state.subscribe(() => {
    const w = wake;
    wake = undefined;
    w?.();
  });
  const stop = () => {
    cancelled = true;
    writer.close?.();
    wake?.();
  };
  call.on("cancelled", stop);
  call.on("close", stop);
  const sink = {
    get cancelled() {
      return cancelled;
    },
    send: (resp: GetFlowsResponse | Uint8Array) => writer.send(resp),
    drain: () => drainedOrCancelled(call, () => cancelled),
  };
  const deps: StreamDeps = {
    ...state.deps,
    waitForData: () => {
      writer.flush?.();
      return new Promise<void>((resolve) => {
        wake = resolve;
        // Re-check now and then so `until` in the future ends a follow stream.
        setTimeout(() => {
          if (wake === resolve) wake = undefined;
          resolve();
        }, 1000).unref();
      });
    },
  };
  streamFlows(q, deps, sink).then(
    () => {
      unsubscribe();
      writer.flush?.();
      if (!cancelled) call.end();
    },
    (e: Error) => {
      unsubscribe();
      if (!cancelled) call.emit("error", { code: grpc.status.INTERNAL, details: `stream flows: ${e.message}` });
    },
  );
}
