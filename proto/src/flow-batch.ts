// flowlens.FlowBatch (proto/flowlens/flow_stream.proto) on the wire, written and read by hand:
// its responses are GetFlowsResponses already encoded, passed through as bytes on both sides.
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { FlowBatchSchema } from "../gen/flowlens/flow_stream_pb.js";

const F_RESPONSES = FlowBatchSchema.field.responses.number;

export function encodeFlowBatch(responses: readonly Uint8Array[]): Uint8Array {
  const w = new BinaryWriter();
  for (const r of responses) w.tag(F_RESPONSES, WireType.LengthDelimited).bytes(r);
  return w.finish();
}

/** The encoded GetFlowsResponses of a FlowBatch (views into its bytes). */
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
