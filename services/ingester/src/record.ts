// One Kafka record -> a valid flow.Flow, or the reason it cannot be stored (it then goes to the dead-letter topic).
import { isIP } from "node:net";
import { fromBinary } from "@bufbuild/protobuf";
import { type FlowRow, flowToRow } from "@flowlens/clickhouse";
import { type Flow, FlowSchema, IPVersion } from "@flowlens/proto";
import { type TsvRow, tsvRow } from "./tsv-rows.js";
import { wireRow, wireRowValid } from "./wire-row.js";

export type DecodedRecord = { flow: Flow; reason?: undefined } | { flow?: undefined; reason: string };
export type RecordRow = { row: FlowRow; reason?: undefined } | { row?: undefined; reason: string };
export type RecordTsvRow = { row: TsvRow; reason?: undefined } | { row?: undefined; reason: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// ClickHouse DateTime holds 1970-01-01 .. 2105; a flow outside that is corrupt, not history.
const MAX_SECONDS = 4_294_967_295n;

/** Why a decoded flow violates the table's schema, or undefined when it is fine. */
export function schemaViolation(flow: Flow): string | undefined {
  if (!flow.uuid) return "missing uuid";
  if (!UUID.test(flow.uuid)) return `uuid "${flow.uuid.slice(0, 64)}" is not a UUID`;
  const t = flow.time;
  if (!t) return "missing time";
  if (t.seconds <= 0n || t.seconds > MAX_SECONDS) return `time ${t.seconds}s is out of range`;
  if (t.nanos < 0 || t.nanos > 999_999_999) return `time nanos ${t.nanos} is out of range`;
  const ip = flow.IP;
  if (ip) {
    const want = ip.ipVersion === IPVersion.IPv4 ? 4 : ip.ipVersion === IPVersion.IPv6 ? 6 : 0;
    for (const [side, addr] of [
      ["source", ip.source],
      ["destination", ip.destination],
    ] as const) {
      const v = isIP(addr);
      if (v === 0) return `${side} IP "${addr.slice(0, 64)}" is not an IP address`;
      if (want !== 0 && v !== want) return `${side} IP "${addr}" is not IPv${want} as ip_version says`;
    }
  }
  return undefined;
}

/** Decodes a record value (protobuf flow.Flow) and checks it against the schema. */
export function decodeRecord(value: Buffer | null): DecodedRecord {
  if (!value || value.length === 0) return { reason: "empty record value" };
  let flow: Flow;
  try {
    flow = fromBinary(FlowSchema, value);
  } catch (e) {
    return { reason: `not a protobuf flow.Flow: ${(e as Error).message}` };
  }
  const reason = schemaViolation(flow);
  return reason ? { reason } : { flow };
}

/** A record value -> the row to insert (its protobuf bytes reused for the row's flow_pb), or why not. */
export function recordToRow(value: Buffer | null): RecordRow {
  const d = decodeRecord(value);
  if (d.reason !== undefined) return { reason: d.reason };
  try {
    return { row: flowToRow(d.flow, value as Buffer) };
  } catch (e) {
    return { reason: `cannot make a row of the flow: ${(e as Error).message}` };
  }
}

/**
 * A record value -> its TSV row (what the ingester keeps until the insert), or why not. Well-formed valid
 * records take the fast path (wire-row.ts: the row read straight from the bytes); everything else —
 * and every refusal with its reason — goes through protobuf-es as before.
 */
export function recordToTsvRow(value: Buffer | null): RecordTsvRow {
  if (value && value.length > 0) {
    const w = wireRow(value);
    if (w && wireRowValid(w)) {
      try {
        return { row: tsvRow(w.row, value) };
      } catch {} // the slow path says why
    }
  }
  const r = recordToRow(value);
  if (r.reason !== undefined) return r;
  try {
    return { row: tsvRow(r.row, value as Buffer) };
  } catch (e) {
    return { reason: `cannot make a row of the flow: ${(e as Error).message}` };
  }
}
