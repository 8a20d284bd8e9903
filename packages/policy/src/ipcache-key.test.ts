import { describe, expect, it } from "vitest";
import { ipcacheKey } from "./ipcache-key.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("fl_ipcache keys", () => {
  it("maps IPv4 (plain or v4-mapped) to ::ffff:a.b.c.d with prefix 96 + n", () => {
    const want = `80000000${"00".repeat(10)}ffff0a00000a`;
    expect(hex(ipcacheKey("10.0.0.10"))).toBe(want);
    expect(hex(ipcacheKey("::ffff:10.0.0.10"))).toBe(want);
    expect(hex(ipcacheKey("10.1.0.0/16"))).toBe(`70000000${"00".repeat(10)}ffff0a010000`);
    expect(hex(ipcacheKey("0.0.0.0/0"))).toBe(`60000000${"00".repeat(10)}ffff00000000`);
  });

  it("writes IPv6 groups in network order, :: expanded", () => {
    expect(hex(ipcacheKey("fd00:200:1::10"))).toBe("80000000fd000200000100000000000000000010");
    expect(hex(ipcacheKey("::1"))).toBe(`80000000${"00".repeat(15)}01`);
    expect(hex(ipcacheKey("64:ff9b::10.0.0.1"))).toBe("800000000064ff9b00000000000000000a000001");
    expect(hex(ipcacheKey("fd00::/8"))).toBe(`08000000fd${"00".repeat(15)}`);
  });

  it("refuses text that is not an address or prefix, in one line", () => {
    expect(() => ipcacheKey("")).toThrow(/is not an IPv4 or IPv6 prefix/);
    expect(() => ipcacheKey("10.0.0")).toThrow(/is not an IPv4 or IPv6 prefix/);
    expect(() => ipcacheKey("10.0.0.0/33")).toThrow(/bad prefix length/);
    expect(() => ipcacheKey("10.0.0.1/8")).toThrow(/host bits set past \/8: write 10.0.0.0\/8/);
  });
});
