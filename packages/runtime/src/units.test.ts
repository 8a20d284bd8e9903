import { describe, expect, it } from "vitest";
import { parseBytes, parseDurationMs, parsePositiveDurationMs } from "./units.js";

describe("parseDurationMs", () => {
  it("reads units and bare milliseconds", () => {
    expect(parseDurationMs("250ms")).toBe(250);
    expect(parseDurationMs("1.5s")).toBe(1500);
    expect(parseDurationMs("2m")).toBe(120_000);
    expect(parseDurationMs("1h")).toBe(3_600_000);
    expect(parseDurationMs("100")).toBe(100);
    expect(parseDurationMs("0")).toBe(0);
  });
  it("refuses what is not a duration, and zero where one must pass", () => {
    expect(() => parseDurationMs("soon")).toThrow(/"soon" is not a duration/);
    expect(() => parsePositiveDurationMs("0s")).toThrow(/must be longer than 0/);
  });
});

describe("parseBytes", () => {
  it("reads binary multiples", () => {
    expect(parseBytes("1000")).toBe(1000);
    expect(parseBytes("64MiB")).toBe(64 * 1024 ** 2);
    expect(parseBytes("4k")).toBe(4096);
  });
  it("refuses sizes under a byte", () => {
    expect(() => parseBytes("0")).toThrow(/at least 1 byte/);
  });
});
