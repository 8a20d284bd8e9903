// Reads the few fields a relay or an ingester needs to route a flow (uuid, time, node) straight
// from its protobuf bytes, without building a message: fromBinary costs ~9 µs per flow, this ~1 µs.
// Field numbers come from the generated descriptors.
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { FlowSchema } from "../gen/flow/flow_pb.js";
import { GetFlowsResponseSchema } from "../gen/observer/observer_pb.js";

const F_TIME = FlowSchema.field.time.number;
const F_UUID = FlowSchema.field.uuid.number;
const F_NODE = FlowSchema.field.nodeName.number;
const T_SECONDS = TimestampSchema.field.seconds.number;
const T_NANOS = TimestampSchema.field.nanos.number;
const R_FLOW = GetFlowsResponseSchema.field.flow.number;

export interface FlowHeader {
  uuid: string;
  /** Wall-clock time of the flow, ns since the epoch (exact to ~0.25 µs). */
  timeNs: number;
  nodeName: string;
}

function readTimestampNs(bytes: Uint8Array): number {
  const r = new BinaryReader(bytes);
  let seconds = 0;
  let nanos = 0;
  while (r.pos < r.len) {
    const [field, wt] = r.tag();
    if (field === T_SECONDS && wt === WireType.Varint) seconds = Number(r.int64());
    else if (field === T_NANOS && wt === WireType.Varint) nanos = r.int32();
    else r.skip(wt, field);
  }
  return seconds * 1e9 + nanos;
}

/** uuid, time and node name of an encoded flow.Flow. */
export function scanFlowHeader(flowBytes: Uint8Array): FlowHeader {
  const r = new BinaryReader(flowBytes);
  const out: FlowHeader = { uuid: "", timeNs: 0, nodeName: "" };
  while (r.pos < r.len) {
    const [field, wt] = r.tag();
    if (field === F_UUID && wt === WireType.LengthDelimited) out.uuid = r.string();
    else if (field === F_TIME && wt === WireType.LengthDelimited) out.timeNs = readTimestampNs(r.bytes());
    else if (field === F_NODE && wt === WireType.LengthDelimited) out.nodeName = r.string();
    else r.skip(wt, field);
  }
  return out;
}

/** The flow.Flow bytes inside an encoded GetFlowsResponse, or undefined for other responses. */
export function flowBytesOfResponse(responseBytes: Uint8Array): Uint8Array | undefined {
  const r = new BinaryReader(responseBytes);
  while (r.pos < r.len) {
    const [field, wt] = r.tag();
    if (field === R_FLOW && wt === WireType.LengthDelimited) return r.bytes();
    r.skip(wt, field);
  }
  return undefined;
}
