// The small pure pieces of the Kafka wiring: in-flight marks and the data-error test.
import { describe, expect, it } from "vitest";
import { INFLIGHT_PREFIX, isDataError, parseInflight } from "./ingester.js";

describe("in-flight marks", () => {
  it("round-trips through commit metadata and ignores anything else", () => {
    expect(parseInflight(`${INFLIGHT_PREFIX}12345`)).toBe(12345n);
    expect(parseInflight("")).toBeUndefined();
    expect(parseInflight(null)).toBeUndefined();
    expect(parseInflight(`${INFLIGHT_PREFIX}x`)).toBeUndefined();
    expect(parseInflight("someone else's metadata")).toBeUndefined();
  });
});

describe("isDataError", () => {
  it("is true for ClickHouse parse/type errors, also wrapped as a cause", () => {
    expect(isDataError(Object.assign(new Error("Cannot parse input"), { code: "27" }))).toBe(true);
    expect(isDataError(new Error("clickhouse insert: x", { cause: Object.assign(new Error("type"), { code: "53" }) }))).toBe(true);
  });
  it("is false for connection errors and server trouble", () => {
    expect(isDataError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toBe(false);
    expect(isDataError(Object.assign(new Error("Too many parts"), { code: "252" }))).toBe(false);
    expect(isDataError(new Error("timeout"))).toBe(false);
  });
});
