import { describe, expect, it } from "vitest";
import { missingCapabilities, parseCapabilities, processCapabilities } from "./capabilities.js";

// /proc/<pid>/status as the kernel writes it (other lines trimmed).
const status = (eff: string, prm = eff, bnd = "000001ffffffffff") =>
  `Name:\tnode\nUmask:\t0022\nState:\tS (sleeping)\nCapInh:\t0000000000000000\nCapPrm:\t${prm}\nCapEff:\t${eff}\nCapBnd:\t${bnd}\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\n`;

describe("parseCapabilities", () => {
  it("reads root's full set", () => {
    const c = parseCapabilities(status("000001ffffffffff"));
    expect(c.effective.size).toBe(41);
    expect(c.effective.has("CAP_BPF")).toBe(true);
    expect(c.effective.has("CAP_CHECKPOINT_RESTORE")).toBe(true);
  });

  it("names each bit: CAP_NET_ADMIN 12, CAP_SYS_ADMIN 21, CAP_PERFMON 38, CAP_BPF 39", () => {
    const mask = ((1n << 12n) | (1n << 21n) | (1n << 38n) | (1n << 39n)).toString(16).padStart(16, "0");
    expect(mask).toBe("000000c000201000");
    expect([...parseCapabilities(status(mask)).effective].sort()).toEqual(["CAP_BPF", "CAP_NET_ADMIN", "CAP_PERFMON", "CAP_SYS_ADMIN"]);
  });

  it("keeps effective, permitted and bounding apart", () => {
    const c = parseCapabilities(status("0000000000000000", "0000008000000000", "000000c000201000"));
    expect([...c.effective]).toEqual([]);
    expect([...c.permitted]).toEqual(["CAP_BPF"]);
    expect(c.bounding.has("CAP_SYS_ADMIN")).toBe(true);
  });

  it("lists what is missing, in the order asked", () => {
    const c = parseCapabilities(status("0000000000001000")); // CAP_NET_ADMIN only
    expect(missingCapabilities(c, ["CAP_BPF", "CAP_NET_ADMIN", "CAP_PERFMON"])).toEqual(["CAP_BPF", "CAP_PERFMON"]);
  });

  it("refuses text that is not a status", () => {
    expect(() => parseCapabilities("Name:\tnode\n")).toThrow("no CapEff line in the process status");
    expect(() => parseCapabilities(status("zz"))).toThrow('CapEff: "zz" is not a capability mask');
  });

  it("reads this process's own status", () => {
    const c = processCapabilities();
    expect(c.bounding.size).toBeGreaterThan(0);
  });
});
