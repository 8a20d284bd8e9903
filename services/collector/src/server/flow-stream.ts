// flowlens.FlowStream/GetFlowBatches (proto/flowlens/flow_stream.proto): GetFlows for relays, many
// encoded responses per gRPC message. Reuses streamFlows and the cached encodings; a batch leaves
// when it holds BATCH_RESPONSES responses or its first response waited BATCH_WAIT_MS.
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { encodeFlowBatch, type GetFlowsRequest, GetFlowsRequestSchema, GetFlowsResponseSchema } from "@flowlens/proto";
import type * as grpc from "@grpc/grpc-js";
import type { ObserverState } from "./observer-state.js";
import { serveFlowStream } from "./serve-stream.js";

const BATCH_RESPONSES = 256;
const BATCH_WAIT_MS = 10;
/** Batches queued in grpc-js per stream before the stream waits for its client. */
const MAX_QUEUED_BATCHES = 64;
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
      serveFlowStream(call as never, state, (cancelled) => {
        let pending: Uint8Array[] = [];
        let timer: NodeJS.Timeout | undefined;
        const flush = (): boolean => {
          if (timer) clearTimeout(timer);
          timer = undefined;
          if (pending.length === 0 || cancelled()) return true;
          call.write(encodeFlowBatch(pending));
          pending = [];
          return call.writableLength < MAX_QUEUED_BATCHES;
        };
        return {
          send(resp) {
            pending.push(resp instanceof Uint8Array ? resp : toBinary(GetFlowsResponseSchema, resp));
            if (pending.length >= BATCH_RESPONSES) return flush();
            timer ??= setTimeout(flush, BATCH_WAIT_MS);
            return true;
          },
          // Nothing more to read for now: what is batched leaves instead of waiting for the timer.
          flush: () => void flush(),
          close: () => {
            if (timer) clearTimeout(timer);
          },
        };
      });
    },
  };
}
