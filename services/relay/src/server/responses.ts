// GetFlowsResponse bytes for the relay's ring items: flows are wrapped around the bytes their node
// sent (Flow.extensions cut out for clients that did not ask for them), events are built as messages.
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { TimestampSchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { FlowSchema, type GetFlowsResponse, GetFlowsResponseSchema, type LostEventSource } from "@flowlens/proto";
import type { RelayFlow } from "../merge/relay-flow.js";
import type { LostItem, StatusItem } from "../merge/ring.js";

const R_FLOW = GetFlowsResponseSchema.field.flow.number;
const R_NODE = GetFlowsResponseSchema.field.nodeName.number;
const R_TIME = GetFlowsResponseSchema.field.time.number;
const F_EXT = FlowSchema.field.extensions.number;

export function timestampOfNs(ns: number) {
  const seconds = Math.floor(ns / 1e9);
  return create(TimestampSchema, { seconds: BigInt(seconds), nanos: Math.min(999_999_999, Math.max(0, Math.floor(ns - seconds * 1e9))) });
}

/** The flow's bytes without field Flow.extensions (the other fields copied as they are). */
export function stripExtensions(flow: Uint8Array): Uint8Array {
  const r = new BinaryReader(flow);
  const parts: Uint8Array[] = [];
  let total = 0;
  let found = false;
  while (r.pos < r.len) {
    const start = r.pos;
    const [field, wt] = r.tag();
    r.skip(wt, field);
    if (field === F_EXT) {
      found = true;
      continue;
    }
    parts.push(flow.subarray(start, r.pos));
    total += r.pos - start;
  }
  if (!found) return flow;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function flowResponse(f: RelayFlow, withExtensions: boolean): Uint8Array {
  if (withExtensions && f.withExt) return f.withExt;
  if (!withExtensions && f.withoutExt) return f.withoutExt;
  const w = new BinaryWriter();
  w.tag(R_FLOW, WireType.LengthDelimited).bytes(withExtensions ? f.bytes : stripExtensions(f.bytes));
  w.tag(R_NODE, WireType.LengthDelimited).string(f.node);
  w.tag(R_TIME, WireType.LengthDelimited).bytes(toBinary(TimestampSchema, timestampOfNs(f.timeNs)));
  const bytes = w.finish();
  if (withExtensions) f.withExt = bytes;
  else f.withoutExt = bytes;
  return bytes;
}

export function lostResponse(node: string, source: LostEventSource, count: number, timeNs: number): GetFlowsResponse {
  return create(GetFlowsResponseSchema, {
    responseTypes: { case: "lostEvents", value: { source, numEventsLost: BigInt(count) } },
    nodeName: node,
    time: timestampOfNs(timeNs),
  });
}

export function lostItemResponse(l: LostItem): GetFlowsResponse {
  return lostResponse(l.node, l.source, l.count, l.timeNs);
}

export function statusResponse(s: Pick<StatusItem, "state" | "nodes" | "message">, relayName: string): GetFlowsResponse {
  return create(GetFlowsResponseSchema, {
    responseTypes: { case: "nodeStatus", value: { stateChange: s.state, nodeNames: s.nodes, message: s.message } },
    nodeName: relayName,
    time: timestampFromMs(Date.now()),
  });
}
