// grpc-js service definition for observer.Observer, built from the generated descriptor.
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import {
  GetAgentEventsRequestSchema,
  GetAgentEventsResponseSchema,
  GetDebugEventsRequestSchema,
  GetDebugEventsResponseSchema,
  GetFlowsRequestSchema,
  GetFlowsResponseSchema,
  GetNamespacesRequestSchema,
  GetNamespacesResponseSchema,
  GetNodesRequestSchema,
  GetNodesResponseSchema,
  ServerStatusRequestSchema,
  ServerStatusResponseSchema,
} from "../gen/observer/observer_pb.js";

function method<I extends DescMessage, O extends DescMessage>(
  name: string,
  input: I,
  output: O,
  responseStream: boolean,
): MethodDefinition<MessageShape<I>, MessageShape<O>> {
  return {
    path: `/observer.Observer/${name}`,
    requestStream: false,
    responseStream,
    originalName: name.charAt(0).toLowerCase() + name.slice(1),
    requestSerialize: (m) => Buffer.from(toBinary(input, m)),
    requestDeserialize: (b) => fromBinary(input, b),
    // A server may hand over bytes it encoded itself (the collector caches each flow's encoding).
    responseSerialize: (m) =>
      m instanceof Uint8Array ? Buffer.from(m.buffer, m.byteOffset, m.byteLength) : Buffer.from(toBinary(output, m)),
    responseDeserialize: (b) => fromBinary(output, b),
  };
}

/** Pass to `server.addService(...)` or `makeGenericClientConstructor(...)`; paths match Hubble's. */
export const observerServiceDefinition = {
  GetFlows: method("GetFlows", GetFlowsRequestSchema, GetFlowsResponseSchema, true),
  GetAgentEvents: method("GetAgentEvents", GetAgentEventsRequestSchema, GetAgentEventsResponseSchema, true),
  GetDebugEvents: method("GetDebugEvents", GetDebugEventsRequestSchema, GetDebugEventsResponseSchema, true),
  GetNodes: method("GetNodes", GetNodesRequestSchema, GetNodesResponseSchema, false),
  GetNamespaces: method("GetNamespaces", GetNamespacesRequestSchema, GetNamespacesResponseSchema, false),
  ServerStatus: method("ServerStatus", ServerStatusRequestSchema, ServerStatusResponseSchema, false),
} satisfies ServiceDefinition;

export type ObserverServiceDefinition = typeof observerServiceDefinition;
