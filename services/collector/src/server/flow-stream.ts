// flowlens.FlowStream/GetFlowBatches (proto/flowlens/flow_stream.proto): GetFlows for relays, many
// encoded responses per gRPC message. Reuses streamFlows and the cached encodings; a batch leaves
// when it holds BATCH_RESPONSES responses or its first response waited BATCH_WAIT_MS.
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { type GetFlowsRequest, GetFlowsRequestSchema, type GetFlowsResponse, GetFlowsResponseSchema } from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";
import { type FlowSink, type StreamDeps, streamFlows } from "../flows/stream.js";
import { type ObserverState, toQuery } from "./observer.js";

const BATCH_RESPONSES = 256;
const BATCH_WAIT_MS = 10;
/** Batches queued in grpc-js per stream before the stream waits for its client. */
const MAX_QUEUED_BATCHES = 64;
/** FlowBatch.responses (field 1, repeated bytes). */
const F_RESPONSES = 1;

export function encodeFlowBatch(responses: Uint8Array[]): Uint8Array {
  const w = new BinaryWriter();
  for (const r of responses) w.tag(F_RESPONSES, WireType.LengthDelimited).bytes(r);
  return w.finish();
}

export function decodeFlowBatch(bytes: Uint8Array): Uint8Array[] {
  const r = new BinaryReader(bytes);
  const out: Uint8Array[] = [];
  while (r.pos < r.len) {
    const [field, wt] = r.tag();
    if (field === F_RESPONSES && wt === WireType.LengthDelimited) out.push(r.bytes());
    else r.skip(wt, field);
  }
  return out;
}

export const flowStreamDefinition = {
  GetFlowBatches: {
    path: "/flowlens.FlowStream/GetFlowBatches",
    requestStream: false,
    responseStream: true,
    originalName: "getFlowBatches",
    requestSerialize: (m: GetFlowsRequest) => Buffer.from(toBinary(GetFlowsRequestSchema, m)),
    requestDeserialize: (b: Buffer) => fromBinary(GetFlowsRequestSchema, b),
    responseSerialize: (m: Uint8Array) => Buffer.from(m.buffer, m.byteOffset, m.byteLength),
    responseDeserialize: (b: Buffer) => b,
  },
} satisfies grpc.ServiceDefinition;

export function createFlowStreamHandlers(state: ObserverState): grpc.UntypedServiceImplementation {
  return {
    GetFlowBatches(call: grpc.ServerWritableStream<GetFlowsRequest, Uint8Array>) {
      let q: ReturnType<typeof toQuery>;
      try {
        q = toQuery(call.request);
      } catch (e) {
        call.emit("error", { code: grpc.status.INVALID_ARGUMENT, details: (e as Error).message });
        return;
      }
      let cancelled = false;
      let wake: (() => void) | undefined;
      let pending: Uint8Array[] = [];
      let timer: NodeJS.Timeout | undefined;
      const flush = (): boolean => {
        if (timer) clearTimeout(timer);
        timer = undefined;
        if (pending.length === 0 || cancelled) return true;
        call.write(encodeFlowBatch(pending));
        pending = [];
        return call.writableLength < MAX_QUEUED_BATCHES;
      };
      const unsubscribe = state.subscribe(() => {
        const w = wake;
        wake = undefined;
        w?.();
      });
      const stop = () => {
        cancelled = true;
        if (timer) clearTimeout(timer);
        wake?.();
      };
      call.on("cancelled", stop);
      call.on("close", stop);
      const sink: FlowSink = {
        get cancelled() {
          return cancelled;
        },
        send(resp: GetFlowsResponse | Uint8Array) {
          pending.push(resp instanceof Uint8Array ? resp : toBinary(GetFlowsResponseSchema, resp));
          if (pending.length >= BATCH_RESPONSES) return flush();
          timer ??= setTimeout(flush, BATCH_WAIT_MS);
          return true;
        },
        drain: () =>
          new Promise<void>((resolve) => {
            if (cancelled) return resolve();
            const done = () => {
              call.off("drain", done);
              call.off("cancelled", done);
              resolve();
            };
            call.once("drain", done);
            call.once("cancelled", done);
          }),
      };
      const deps: StreamDeps = {
        ...state.deps,
        waitForData: () => {
          // Nothing more to read for now: what is batched leaves instead of waiting for the timer.
          flush();
          return new Promise<void>((resolve) => {
            wake = resolve;
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
          flush();
          if (!cancelled) call.end();
        },
        (e: Error) => {
          unsubscribe();
          if (!cancelled) call.emit("error", { code: grpc.status.INTERNAL, details: `stream flows: ${e.message}` });
        },
      );
    },
  };
}
