import { parseCapabilities } from "libbpf-ts";
import { describe, expect, it } from "vitest";
import { COLLECTOR_CAPABILITIES, requireCapabilities, UNINSTALL_CAPABILITIES } from "./caps.js";

const status = (eff: string) => `Name:\tnode\nCapInh:\t0000000000000000\nCapPrm:\t${eff}\nCapEff:\t${eff}\nCapBnd:\t${eff}\n`;

describe("requireCapabilities", () => {
  it("needs CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_ADMIN, each with a reason", () => {
    expect(Object.keys(COLLECTOR_CAPABILITIES)).toEqual(["CAP_BPF", "CAP_PERFMON", "CAP_NET_ADMIN", "CAP_SYS_ADMIN"]);
    for (const why of Object.values(COLLECTOR_CAPABILITIES)) expect(why.length).toBeGreaterThan(10);
  });

  it("passes with exactly those four, whatever the uid", () => {
    expect(() => requireCapabilities(undefined, parseCapabilities(status("000000c000201000")))).not.toThrow();
  });

  it("names the missing ones and why, in one line", () => {
    const netAdminOnly = parseCapabilities(status("0000000000001000"));
    let msg = "";
    try {
      requireCapabilities(undefined, netAdminOnly);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg.split("\n")).toHaveLength(1);
    expect(msg).toMatch(
      /^needs CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_SYS_ADMIN; missing: CAP_BPF \(load the BPF programs.*\), CAP_PERFMON \(.*\), CAP_SYS_ADMIN \(.*\)\. Run it as root or grant them/,
    );
    expect(msg).not.toMatch(/missing:.*CAP_NET_ADMIN/);
  });

  it("uninstall needs only CAP_BPF and CAP_NET_ADMIN", () => {
    expect(UNINSTALL_CAPABILITIES).toEqual(["CAP_BPF", "CAP_NET_ADMIN"]);
    expect(() => requireCapabilities(UNINSTALL_CAPABILITIES, parseCapabilities(status("0000008000001000")))).not.toThrow();
    expect(() => requireCapabilities(UNINSTALL_CAPABILITIES, parseCapabilities(status("0000008000000000")))).toThrow(
      /missing: CAP_NET_ADMIN/,
    );
  });
});
