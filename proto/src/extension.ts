// Pack/unpack flowlens.FlowExtension in flow.Flow.extensions (google.protobuf.Any).

import type { MessageInitShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { type Any, anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import type { Flow } from "../gen/flow/flow_pb.js";
import { type FlowExtension, FlowExtensionSchema, GetFlowsRequestExtensionSchema } from "../gen/flowlens/flow_extension_pb.js";

/** Sets flow.extensions to the packed extension and returns the flow. */
export function setFlowExtension(flow: Flow, ext: FlowExtension | MessageInitShape<typeof FlowExtensionSchema>): Flow {
  const msg = "$typeName" in ext ? (ext as FlowExtension) : create(FlowExtensionSchema, ext);
  flow.extensions = anyPack(FlowExtensionSchema, msg);
  return flow;
}

/** The flow's FlowExtension, or undefined when absent or of another type. */
export function getFlowExtension(flow: Flow): FlowExtension | undefined {
  return flow.extensions ? anyUnpack(flow.extensions, FlowExtensionSchema) : undefined;
}

/** A GetFlowsRequest.extensions value asking the server for FlowExtension on every flow. */
export function flowExtensionsRequest() {
  return anyPack(GetFlowsRequestExtensionSchema, create(GetFlowsRequestExtensionSchema, { flowExtensions: true }));
}

/** Whether a GetFlowsRequest.extensions value asks for FlowExtension (unknown types: no). */
export function wantsFlowExtensions(ext: Any | undefined): boolean {
  if (!ext) return false;
  try {
    return anyUnpack(ext, GetFlowsRequestExtensionSchema)?.flowExtensions === true;
  } catch {
    return false;
  }
}
