// Dead-letter messages keep the record and say why and where it came from.
import { describe, expect, it } from "vitest";
import { deadLetterMessage, reasonKind } from "./dead-letters.js";

describe("dead letters", () => {
  it("carry key and value unchanged with reason and origin headers", () => {
    const m = deadLetterMessage({
      key: Buffer.from("k"),
      value: Buffer.from([1, 2, 3]),
      reason: "missing uuid",
      topic: "flowlens.flows",
      partition: 4,
      offset: "1234",
    });
    expect(m.key).toEqual(Buffer.from("k"));
    expect(m.value).toEqual(Buffer.from([1, 2, 3]));
    expect(m.headers).toEqual({
      reason: "missing uuid",
      "original-topic": "flowlens.flows",
      "original-partition": "4",
      "original-offset": "1234",
    });
  });

  it.each([
    ["not a protobuf flow.Flow: premature EOF", "decode"],
    ["empty record value", "decode"],
    ["missing uuid", "schema"],
    ['source IP "x" is not an IP address', "schema"],
    ["cannot make a row of the flow: boom", "row"],
    ["ClickHouse refused the row: Cannot parse input", "refused"],
  ])("%s is counted as %s", (reason, kind) => {
    expect(reasonKind(reason)).toBe(kind);
  });
});
