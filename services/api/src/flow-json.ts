// Stored flows back to Hubble's JSON: flow_pb (base64 protobuf flow.Flow) decoded, printed as the collector streams it.
import { create, fromBinary, type JsonObject, toJson } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { formatJson } from "@flowlens/flow";
import { type Flow, FlowSchema, GetFlowsResponseSchema, registry } from "@flowlens/proto";
import { ApiError } from "./errors.js";

/** The Flow message's JSON field names (proto names, as `hubble observe -o json` prints them). */
export const FLOW_FIELDS: readonly string[] = FlowSchema.fields.map((f) => f.name);

/** fields= → the names, or a 400 naming the unknown one. */
export function parseFieldMask(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length > FLOW_FIELDS.length) throw new ApiError("bad_request", `fields: at most ${FLOW_FIELDS.length} names`);
  for (const n of names)
    if (!FLOW_FIELDS.includes(n))
      throw new ApiError("bad_request", `fields: unknown Flow field "${n.slice(0, 64)}" (known: ${FLOW_FIELDS.join(", ")})`);
  return names;
}

export function decodeFlow(flowPb: string): Flow {
  return fromBinary(FlowSchema, Buffer.from(flowPb, "base64"));
}

/** Flow JSON with only the masked fields (all when mask is undefined). */
export function flowJson(flow: Flow, mask?: readonly string[]): JsonObject {
  const json = toJson(FlowSchema, flow, { registry, useProtoFieldName: true }) as JsonObject;
  if (!mask) return json;
  const out: JsonObject = {};
  for (const k of mask) if (k in json) out[k] = json[k];
  return out;
}

/** One GetFlowsResponse line, the format `hubble observe --input-file` reads. */
export function flowNdjsonLine(flow: Flow): string {
  const time = flow.time ?? timestampFromMs(0);
  return formatJson(create(GetFlowsResponseSchema, { responseTypes: { case: "flow", value: flow }, nodeName: flow.nodeName, time }));
}
