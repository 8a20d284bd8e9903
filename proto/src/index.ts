// @flowlens/proto: generated Hubble-compatible messages, the grpc-js Observer definition and a type registry.
// Generated names do not clash across packages, so everything is also re-exported flat.
// NodeState exists only in relay (as in Hubble); observer.Node.state uses relay.NodeState.
export * from "../gen/flow/flow_pb.js";
export * as flowpb from "../gen/flow/flow_pb.js";
export * from "../gen/flowlens/endpoints_pb.js";
export * from "../gen/flowlens/flow_extension_pb.js";
export * as flowlenspb from "../gen/flowlens/flow_extension_pb.js";
export * from "../gen/flowlens/policy_pb.js";
export * from "../gen/observer/observer_pb.js";
export * as observerpb from "../gen/observer/observer_pb.js";
export * from "../gen/relay/relay_pb.js";
export * as relaypb from "../gen/relay/relay_pb.js";
export { DEFAULT_ADMIN_SOCKET, MUTATING_METHODS } from "./admin.js";
export { flowExtensionsRequest, getFlowExtension, setFlowExtension, wantsFlowExtensions } from "./extension.js";
export { decodeFlowBatch, encodeFlowBatch } from "./flow-batch.js";
export { type FlowHeader, flowBytesOfResponse, scanFlowHeader } from "./flow-scan.js";
export { type ObserverServiceDefinition, observerServiceDefinition } from "./grpc.js";
export { FLOW_EXTENSION_TYPE_URL, registry } from "./registry.js";
export { grpcServiceDefinition } from "./service.js";
export { scalarWireType } from "./wire-types.js";
