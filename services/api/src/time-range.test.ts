import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "./cursor.js";
import { parseTimeParam, parseTimeRange } from "./time-range.js";

const now = new Date("2026-01-10T12:00:00Z");

describe("since/until", () => {
  it("reads RFC 3339, unix seconds and durations before now", () => {
    expect(parseTimeParam("since", "2026-01-10T11:00:00Z", now)).toBe(Date.parse("2026-01-10T11:00:00Z"));
    expect(parseTimeParam("since", "2026-01-10T11:00:00.250+00:00", now)).toBe(Date.parse("2026-01-10T11:00:00.250Z"));
    expect(parseTimeParam("since", "1768042800", now)).toBe(1768042800_000);
    expect(parseTimeParam("since", "15m", now)).toBe(now.getTime() - 900_000);
    expect(parseTimeParam("since", "7d", now)).toBe(now.getTime() - 7 * 86_400_000);
  });
  it("answers 400 for garbage and since after until, 422 for a range over the maximum", () => {
    expect(() => parseTimeParam("since", "yesterday", now)).toThrow(/since: "yesterday" is not RFC 3339/);
    expect(() => parseTimeRange("1h", "2h", now, 3_600_000, 86_400_000)).toThrow(/since is after until/);
    try {
      parseTimeRange("30d", undefined, now, 3_600_000, 7 * 86_400_000);
      throw new Error("accepted");
    } catch (e) {
      expect((e as { status: number }).status).toBe(422);
    }
  });
  it("defaults to the last hour", () => {
    expect(parseTimeRange(undefined, undefined, now, 3_600_000, 86_400_000)).toEqual({
      sinceMs: now.getTime() - 3_600_000,
      untilMs: now.getTime(),
    });
  });
});

describe("cursor", () => {
  it("round-trips and refuses tokens it did not make", () => {
    const c = { time: 1768042800, time_ns: 123, uuid: "a-b" };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(() => decodeCursor("!!")).toThrow(/cursor/);
    expect(() => decodeCursor(Buffer.from("[1,2]").toString("base64url"))).toThrow(/cursor/);
    expect(() => decodeCursor(Buffer.from('[1,-2,"x"]').toString("base64url"))).toThrow(/cursor/);
  });
});
