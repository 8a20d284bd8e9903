import { describe, expect, it } from "vitest";
import { ipcacheKey } from "./identity.js";

const hex = (b: Buffer | undefined) => b?.toString("hex");

describe("fl_ipcache keys", () => {
  it("maps IPv4 (plain or v4-mapped) to ::ffff:a.b.c.d with prefix 128", () => {
    const want = `80000000${"00".repeat(10)}ffff0a00000a`;
    expect(hex(ipcacheKey("10.0.0.10"))).toBe(want);
    expect(hex(ipcacheKey("::ffff:10.0.0.10"))).toBe(want);
  });

  it("writes IPv6 groups in network order, :: expanded", () => {
    expect(hex(ipcacheKey("fd00:200:1::10"))).toBe(`80000000fd000200000100000000000000000010`);
    expect(hex(ipcacheKey("::1"))).toBe(`80000000${"00".repeat(15)}01`);
    expect(hex(ipcacheKey("64:ff9b::10.0.0.1"))).toBe(`800000000064ff9b00000000000000000a000001`);
  });

  it("has no key for something that is not an address", () => {
    expect(ipcacheKey("")).toBeUndefined();
    expect(ipcacheKey("10.0.0")).toBeUndefined();
  });
});
