// JSON output as `hubble observe -o json|jsonpb` prints it: one GetFlowsResponse per line, proto field names.
import { toJson } from "@bufbuild/protobuf";
import { type GetFlowsResponse, GetFlowsResponseSchema, registry } from "@flowlens/proto";

/** One line of proto3 JSON (no trailing newline); extensions (Any) are resolved through the proto registry. */
export function formatJson(res: GetFlowsResponse): string {
  return JSON.stringify(toJson(GetFlowsResponseSchema, res, { registry, useProtoFieldName: true }));
}
