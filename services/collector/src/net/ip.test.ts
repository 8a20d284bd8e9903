import { describe, expect, it } from "vitest";
import { addrToKey, addrToString, canonicalIp } from "./ip.js";

describe("ABI addresses", () => {
  it.each([
    ["10.1.2.3", 4],
    ["fd00:200::10", 6],
    ["::1", 6],
    ["fe80::e803:1fff:fec6:fc4d", 6],
    ["2001:db8:0:1:1:1:1:1", 6],
  ])("round-trips %s", (ip, v) => {
    expect(addrToString(addrToKey(ip), 0, v)).toBe(ip);
  });
  it("canonicalises IPv6 text", () => {
    expect(canonicalIp("fd00:200:0:0:0:0:0:10")).toBe("fd00:200::10");
    expect(canonicalIp("FD00::0:1")).toBe("fd00::1");
  });
  it("rejects text that is not an address", () => {
    expect(() => addrToKey("10.0.0.300")).toThrow(/not an IP address/);
  });
});
