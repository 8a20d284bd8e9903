// Decoding and schema checks of flow records: good flows pass, each kind of poison gets its reason.
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { flowToRow, rowsToTsv } from "@flowlens/clickhouse";
import { FlowSchema, IPVersion } from "@flowlens/proto";
import { describe, expect, it } from "vitest";
import { decodeRecord, recordToTsvRow } from "./record.js";

const UUID = "0b6f8a3e-5a34-4c1e-9d2a-6f0e2b9c1d47";

function encode(over: Record<string, unknown> = {}): Buffer {
  const f = create(FlowSchema, {
    uuid: UUID,
    time: timestampFromMs(Date.UTC(2025, 0, 2, 3, 4, 5)),
    nodeName: "n1",
    IP: { source: "10.0.0.1", destination: "10.0.0.2", ipVersion: IPVersion.IPv4 },
    ...over,
  });
  return Buffer.from(toBinary(FlowSchema, f));
}

describe("decodeRecord", () => {
  it("accepts a valid flow", () => {
    const r = decodeRecord(encode());
    expect(r.reason).toBeUndefined();
    expect(r.flow?.uuid).toBe(UUID);
    expect(r.flow?.IP?.destination).toBe("10.0.0.2");
  });

  it("accepts IPv6 and flows without an IP layer", () => {
    expect(decodeRecord(encode({ IP: { source: "fd00::1", destination: "fd00::2", ipVersion: IPVersion.IPv6 } })).flow).toBeDefined();
    expect(decodeRecord(encode({ IP: undefined })).flow).toBeDefined();
  });

  it.each([
    ["empty", Buffer.alloc(0), "empty record value"],
    ["null", null, "empty record value"],
    ["garbage", Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]), "not a protobuf flow.Flow"],
    ["no uuid", encode({ uuid: "" }), "missing uuid"],
    ["bad uuid", encode({ uuid: "not-a-uuid" }), 'uuid "not-a-uuid" is not a UUID'],
    ["no time", encode({ time: undefined }), "missing time"],
    ["time zero", encode({ time: { seconds: 0n, nanos: 0 } }), "time 0s is out of range"],
    ["bad IP", encode({ IP: { source: "10.0.0.300", destination: "10.0.0.2", ipVersion: IPVersion.IPv4 } }), 'source IP "10.0.0.300"'],
    ["IP version mismatch", encode({ IP: { source: "fd00::1", destination: "fd00::2", ipVersion: IPVersion.IPv4 } }), "is not IPv4"],
  ])("refuses %s", (_name, value, reason) => {
    const r = decodeRecord(value as Buffer | null);
    expect(r.flow).toBeUndefined();
    expect(r.reason).toContain(reason);
  });
});

describe("recordToTsvRow", () => {
  it("keeps the row as the store's own TSV line, with uuid, time and the record bytes", () => {
    const value = encode();
    const r = recordToTsvRow(value);
    expect(r.reason).toBeUndefined();
    const flow = decodeRecord(value).flow as NonNullable<ReturnType<typeof decodeRecord>["flow"]>;
    expect(r.row?.line).toBe(rowsToTsv([flowToRow(flow, value)]));
    expect(r.row?.line.endsWith("\n")).toBe(true);
    expect(r.row?.uuid).toBe(UUID);
    expect(r.row?.time).toBe("2025-01-02 03:04:05");
    expect(r.row?.value).toBe(value);
  });

  it("passes on the decoder's reason", () => {
    expect(recordToTsvRow(encode({ uuid: "" })).reason).toBe("missing uuid");
  });
});
