// The Observer gRPC service (Hubble's wire format): GetFlows, ServerStatus, GetNodes, GetNamespaces.
import { create } from "@bufbuild/protobuf";
import {
  type GetFlowsRequest,
  type GetFlowsResponse,
  GetNamespacesResponseSchema,
  GetNodesResponseSchema,
  NodeState,
  ServerStatusResponseSchema,
} from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";
import { lostResponse } from "../flows/stream.js";
import type { ObserverState } from "./observer-state.js";
import { serveFlowStream } from "./serve-stream.js";

/** Responses queued in grpc-js per stream before the stream waits for the client (~2 MB of flows). */
const MAX_QUEUED_MESSAGES = 4096;

function status(code: grpc.status, details: string): Partial<grpc.StatusObject> {
  return { code, details };
}

export function createObserverHandlers(state: ObserverState): grpc.UntypedServiceImplementation {
  return {
    // Responses are GetFlowsResponse objects or bytes the collector already encoded.
    GetFlows(call: grpc.ServerWritableStream<GetFlowsRequest, GetFlowsResponse | Uint8Array>) {
      serveFlowStream(call as never, state, () => ({
        // grpc-js asks for a drain after 16 queued messages; waiting that often lets a burst lap
        // the reader in the live ring, so queue up to MAX_QUEUED_MESSAGES (bounded) first.
        send: (resp) => {
          call.write(resp);
          return call.writableLength < MAX_QUEUED_MESSAGES;
        },
      }));
    },

    ServerStatus(_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const ring = state.deps.ring;
      cb(
        null,
        create(ServerStatusResponseSchema, {
          numFlows: BigInt(ring.size),
          maxFlows: BigInt(ring.capacity),
          seenFlows: BigInt(ring.written),
          uptimeNs: BigInt(Math.round((Date.now() - state.startedAt) * 1e6)),
          numConnectedNodes: 1,
          numUnavailableNodes: 0,
          version: state.version,
          flowsRate: state.flowsRate(),
          flowlensLostEvents: [...state.lost()].map(([source, n]) => {
            const r = lostResponse(source, n, 0, state.nodeName).responseTypes;
            return r.case === "lostEvents" ? { source: r.value.source, numEventsLost: r.value.numEventsLost } : {};
          }),
        }),
      );
    },

    GetNodes(_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const ring = state.deps.ring;
      cb(
        null,
        create(GetNodesResponseSchema, {
          nodes: [
            {
              name: state.nodeName,
              version: state.version,
              address: state.address,
              state: NodeState.NODE_CONNECTED,
              uptimeNs: BigInt(Math.round((Date.now() - state.startedAt) * 1e6)),
              numFlows: BigInt(ring.size),
              maxFlows: BigInt(ring.capacity),
              seenFlows: BigInt(ring.written),
            },
          ],
        }),
      );
    },

    GetNamespaces(_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) {
      cb(null, create(GetNamespacesResponseSchema, { namespaces: state.namespaces().map((namespace) => ({ namespace })) }));
    },

    GetAgentEvents(call: grpc.ServerWritableStream<unknown, unknown>) {
      call.emit("error", status(grpc.status.UNIMPLEMENTED, "agent events are not served by flowlens"));
    },
    GetDebugEvents(call: grpc.ServerWritableStream<unknown, unknown>) {
      call.emit("error", status(grpc.status.UNIMPLEMENTED, "debug events are not served by flowlens"));
    },
  };
}
