// Tests for --since/--until parsing.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { parseDurationNs, parseTimeArg, TimeParseError } from "./time.js";

const now = new Date("2024-11-26T06:30:00.000Z");

describe("parseDurationNs", () => {
  it.each([
    ["10s", 10_000_000_000n],
    ["5m", 300_000_000_000n],
    ["1h30m", 5_400_000_000_000n],
    ["1.5h", 5_400_000_000_000n],
    ["2d", 172_800_000_000_000n],
    ["250ms", 250_000_000n],
  ])("%s", (input, want) => expect(parseDurationNs(input)).toBe(want));
  it("rejects junk", () => expect(() => parseDurationNs("5 minutes")).toThrow(TimeParseError));
});

describe("parseTimeArg", () => {
  it("treats a duration as that long ago", () => {
    expect(timestampDate(parseTimeArg("5m", now)).toISOString()).toBe("2024-11-26T06:25:00.000Z");
    expect(timestampDate(parseTimeArg("1h30m", now)).toISOString()).toBe("2024-11-26T05:00:00.000Z");
  });
  it("parses RFC 3339 with offsets", () => {
    expect(timestampDate(parseTimeArg("2024-11-26T08:30:00+02:00")).toISOString()).toBe("2024-11-26T06:30:00.000Z");
  });
  it("keeps nanoseconds of RFC 3339 Nano", () => {
    const ts = parseTimeArg("2024-11-26T06:30:00.123456789Z");
    expect(ts.nanos).toBe(123456789);
    expect(ts.seconds).toBe(BigInt(Date.parse("2024-11-26T06:30:00Z") / 1000));
  });
  it.each(["yesterday", "2024-11-26", "5x", "2024-13-40T00:00:00Z"])("rejects %s with a hint", (v) => {
    expect(() => parseTimeArg(v, now)).toThrow(/invalid (time|duration)/);
  });
});
