// Real-kernel tests of attachments that outlive their process: kept tc filters, pinned bpf_links,
// adopting a pinned link and swapping its program in place.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BpfMap, BpfObject, closeAll, Link } from "../lib/index.js";
import { buildFixture } from "./fixture.js";
import { createVethNetns, ensureMounts, hasClsact, tcFilters, tryRun, type VethNetns } from "./system.js";

const tag = `h2p${process.pid % 10000}`;
const pinDir = `/sys/fs/bpf/${tag}-lbt`;
const cgroupPath = `/sys/fs/cgroup/unified/${tag}-lbt`;
const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));

let objectPath: string;
let veth: VethNetns;

beforeAll(() => {
  ensureMounts();
  objectPath = buildFixture("lbt_keep");
  veth = createVethNetns(tag);
  mkdirSync(pinDir, { recursive: true });
  mkdirSync(cgroupPath, { recursive: true });
});

afterAll(() => {
  closeAll();
  Link.detachTc(veth.hostIfindex, "ingress", { handle: 11, priority: 11 });
  veth?.remove();
  rmSync(pinDir, { recursive: true, force: true });
  if (existsSync(cgroupPath)) rmdirSync(cgroupPath);
});

/** Runs ES module code in a child node process with libbpf-ts (dist) imported as L; fails on a non-zero exit. */
function child(code: string): string {
  const res = spawnSync(process.execPath, ["--input-type=module", "-e", `import * as L from ${JSON.stringify(dist)};\n${code}`], {
    encoding: "utf8",
  });
  if (res.status !== 0) throw new Error(`child failed (${res.status}): ${res.stderr}`);
  return res.stdout;
}

/** connect() to 127.0.0.1:9 over UDP from a process in the test cgroup: "ok" or the error code. */
function connectFromCgroup(): string {
  const script = `require('fs').writeFileSync(${JSON.stringify(`${cgroupPath}/cgroup.procs`)}, String(process.pid));
    const s = require('dgram').createSocket('udp4');
    s.connect(9, '127.0.0.1', (e) => { console.log(e ? e.code : 'ok'); s.close(); });`;
  const res = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
  return res.stdout.trim() || res.stderr;
}

describe("a kept tc filter", () => {
  it("stays attached after its process exits; detachTc removes it by place", () => {
    child(`const o = L.BpfObject.open(${JSON.stringify(objectPath)}); o.load();
      const l = o.program("lbt_keep_tc").attachTc(${veth.hostIfindex}, "ingress", { keep: true, handle: 11, priority: 11 });
      if (!l.kept) throw new Error("not kept"); l.close(); o.close();`);
    expect(tcFilters(veth.host, "ingress")).toMatch(/lbt_keep_tc/);
    expect(hasClsact(veth.host)).toBe(true);

    // A new process replaces it in place (same handle and priority), then detaches it.
    const obj = BpfObject.open(objectPath);
    obj.load();
    const link = obj.program("lbt_keep_tc").attachTc(veth.hostIfindex, "ingress", { keep: true, handle: 11, priority: 11 });
    expect(
      tcFilters(veth.host, "ingress")
        .split("\n")
        .filter((l) => l.includes("lbt_keep_tc")),
    ).toHaveLength(1);
    obj.close(); // forgets the kept link
    expect(link.closed).toBe(true);
    expect(tcFilters(veth.host, "ingress")).toMatch(/lbt_keep_tc/);
    expect(Link.detachTc(veth.hostIfindex, "ingress", { handle: 11, priority: 11 })).toBe(true);
    expect(tcFilters(veth.host, "ingress")).not.toMatch(/lbt_keep_tc/);
    expect(Link.detachTc(veth.hostIfindex, "ingress", { handle: 11, priority: 11 })).toBe(false);
  });

  it("detach() removes a kept filter of this process", () => {
    const obj = BpfObject.open(objectPath);
    try {
      obj.load();
      const link = obj.program("lbt_keep_tc").attachTc(veth.hostIfindex, "egress", { keep: true, handle: 12, priority: 12 });
      expect(tcFilters(veth.host, "egress")).toMatch(/lbt_keep_tc/);
      link.detach();
      expect(tcFilters(veth.host, "egress")).not.toMatch(/lbt_keep_tc/);
    } finally {
      obj.close();
    }
  });
});

describe("a pinned cgroup link", () => {
  it("outlives its process, is adopted, updated in place and detached", () => {
    const linkPin = `${pinDir}/connect4`;
    const mapPin = `${pinDir}/connects`;
    child(`const o = L.BpfObject.open(${JSON.stringify(objectPath)}); o.load();
      o.map("connects").pin(${JSON.stringify(mapPin)});
      o.program("lbt_keep_allow").attachCgroup(${JSON.stringify(cgroupPath)}).pin(${JSON.stringify(linkPin)});`);
    const connects = BpfMap.openPinned(mapPin);
    const zero = Buffer.alloc(4);
    const count = () => connects.lookup(zero)?.readBigUInt64LE() ?? 0n;
    try {
      expect(connectFromCgroup()).toBe("ok");
      expect(count()).toBe(1n); // the dead process's program still runs

      const obj = BpfObject.open(objectPath);
      try {
        expect(obj.reusePinnedMap("connects", mapPin)).toBe(true);
        obj.load();
        const link = Link.openPinned(linkPin);
        expect(link.pinPath).toBe(linkPin);
        link.update(obj.program("lbt_keep_deny"));
        expect(connectFromCgroup()).toBe("EPERM");
        link.update(obj.program("lbt_keep_allow"));
        expect(connectFromCgroup()).toBe("ok");
        expect(count()).toBe(2n);
        link.close(); // releases our handle; the pin keeps it attached
        expect(connectFromCgroup()).toBe("ok");
        expect(count()).toBe(3n);

        const again = Link.openPinned(linkPin);
        again.detach();
        expect(existsSync(linkPin)).toBe(false);
        expect(connectFromCgroup()).toBe("ok");
        expect(count()).toBe(3n);
      } finally {
        obj.close();
      }
    } finally {
      connects.close();
      tryRun("rm", ["-f", linkPin, mapPin]);
    }
  });

  it("refuses an update to a program of another attach type", () => {
    const obj = BpfObject.open(objectPath);
    try {
      obj.load();
      const link = obj.program("lbt_keep_allow").attachCgroup(cgroupPath);
      expect(() => link.update(obj.program("lbt_keep_tc"))).toThrow(
        /update .*: EINVAL — program lbt_keep_tc is not of the link's program and attach type/,
      );
      link.close();
      expect(connectFromCgroup()).toBe("ok");
    } finally {
      obj.close();
    }
  });
});
