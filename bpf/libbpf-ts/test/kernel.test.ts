// Real-kernel tests: load, .rodata, tc on a veth in a netns with ring buffer batches, tracepoint, cgroup, maps.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmdirSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BpfMap, BpfObject, closeAll, LibbpfError, possibleCpus, RingBufferReader } from "../lib/index.js";
import { buildFixture } from "./fixture.js";
import { createVethNetns, ensureMounts, hasClsact, run, tcFilters, tryRun, type VethNetns } from "./system.js";

const tag = String(process.pid % 100000);
const pinPath = `/sys/fs/bpf/lbt-test-${tag}`;
const cgroupPath = `/sys/fs/cgroup/unified/lbt-test-${tag}`;
const RECORD_SIZE = 16;
const ETH_P_IP = 0x0800;

let objectPath: string;
let veth: VethNetns;
const objects: BpfObject[] = [];

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function u64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
}

/** Opens the test object, applies rodata overrides, loads it; closed in afterEach. */
function load(rodata: Record<string, number> = {}): BpfObject {
  const obj = BpfObject.open(objectPath);
  objects.push(obj);
  for (const [name, value] of Object.entries(rodata)) obj.setRodata(name, u32(value));
  obj.load();
  return obj;
}

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(() => {
  ensureMounts();
  objectPath = buildFixture();
  veth = createVethNetns(tag);
});

afterEach(() => {
  for (const obj of objects.splice(0)) obj.close();
});

afterAll(() => {
  closeAll();
  veth?.remove();
  tryRun("rm", ["-f", pinPath]);
  if (existsSync(cgroupPath)) rmdirSync(cgroupPath);
});

describe("object", () => {
  it("loads and lists programs and maps", () => {
    const obj = load();
    expect(obj.programs()).toEqual([
      { name: "lbt_tc", type: "sched_cls", section: "tc" },
      { name: "lbt_getppid", type: "tracepoint", section: "tracepoint/syscalls/sys_enter_getppid" },
      { name: "lbt_connect4", type: "cgroup_sock_addr", section: "cgroup/connect4" },
    ]);
    const maps = Object.fromEntries(obj.maps().map((m) => [m.name, m]));
    expect(maps.counts).toEqual({ name: "counts", type: "hash", keySize: 4, valueSize: 8, maxEntries: 64 });
    expect(maps.events).toMatchObject({ type: "ringbuf", maxEntries: 65536 });
    expect(maps.percpu_hits).toMatchObject({ type: "percpu_array", keySize: 4, valueSize: 8 });
  });

  it("setRodata changes what the program returns", () => {
    const packet = new Uint8Array(64);
    expect(load().program("lbt_tc").testRun({ data: packet }).retval).toBe(0);
    const shot = load({ tc_verdict: 2 }).program("lbt_tc").testRun({ data: packet, repeat: 10 });
    expect(shot.retval).toBe(2);
    expect(shot.durationNs).toBeGreaterThanOrEqual(0);
  });

  it("rejects a rodata value of the wrong size, and unknown variables", () => {
    const obj = BpfObject.open(objectPath);
    objects.push(obj);
    expect(() => obj.setRodata("tc_verdict", new Uint8Array(8))).toThrow(/tc_verdict is 4 bytes, got 8/);
    expect(() => obj.setRodata("no_such_var", u32(1))).toThrow(LibbpfError);
  });

  it("setMapMaxEntries resizes a map before load", () => {
    const obj = BpfObject.open(objectPath);
    objects.push(obj);
    obj.setMapMaxEntries("counts", 128);
    obj.setMapMaxEntries("events", 128 * 1024);
    obj.load();
    expect(obj.map("counts").maxEntries).toBe(128);
    expect(obj.map("events").maxEntries).toBe(128 * 1024);
  });

  it("close is idempotent and later use fails clearly", () => {
    const obj = BpfObject.open(objectPath);
    obj.load();
    const counts = obj.map("counts");
    obj.close();
    obj.close();
    expect(() => obj.programs()).toThrow(/object is closed/);
    expect(() => counts.lookup(u32(1))).toThrow(/map is closed/);
  });
});

describe("tc on a veth in a netns", () => {
  function ping(count: number): void {
    // Synchronous on purpose: the event loop is blocked, so every record is pending at the next wakeup.
    execFileSync("ip", ["netns", "exec", veth.ns, "ping", "-c", String(count), "-i", "0.01", "-W", "0.2", "-q", veth.gatewayAddr], {
      stdio: "ignore",
    }).toString();
  }

  function pingQuietly(count: number): void {
    try {
      ping(count);
    } catch {
      // nobody answers: ping exits 1, the packets still went out
    }
  }

  it("delivers records from the ring buffer as one batch per wakeup", async () => {
    const magic = 0xa5a50000 + (process.pid & 0xffff);
    const obj = load({ record_magic: magic });
    const batches: { data: Buffer; offsets: Uint32Array; count: number }[] = [];
    const reader = new RingBufferReader(obj.map("events"), (data, offsets, count) => {
      batches.push({ data, offsets: offsets.slice(), count });
    });
    const link = obj.program("lbt_tc").attachTc(veth.hostIfindex, "ingress", { ifname: veth.host });
    expect(hasClsact(veth.host)).toBe(true);
    expect(tcFilters(veth.host, "ingress")).toMatch(/lbt_tc/);

    pingQuietly(5);
    for (let i = 0; i < 50 && batches.length === 0; i++) await tick(20);

    expect(batches.length).toBe(1);
    const [batch] = batches;
    expect(batch.offsets.length).toBe(batch.count + 1);
    expect(batch.offsets[batch.count]).toBe(batch.data.length);
    const records = [];
    for (let i = 0; i < batch.count; i++) {
      const rec = batch.data.subarray(batch.offsets[i], batch.offsets[i + 1]);
      expect(rec.length).toBe(RECORD_SIZE);
      records.push({ magic: rec.readUInt32LE(0), ifindex: rec.readUInt32LE(4), len: rec.readUInt32LE(8), protocol: rec.readUInt16LE(12) });
    }
    const icmp = records.filter((r) => r.protocol === ETH_P_IP);
    expect(icmp.length).toBeGreaterThanOrEqual(5);
    for (const r of records) {
      expect(r.magic).toBe(magic);
      expect(r.ifindex).toBe(veth.hostIfindex);
    }
    expect(icmp[0].len).toBe(98); // 14 Ethernet + 20 IPv4 + 8 ICMP + 56 payload

    const counts = obj.map("counts");
    expect(counts.lookup(u32(ETH_P_IP))?.readBigUInt64LE()).toBeGreaterThanOrEqual(5n);

    link.close();
    link.close();
    expect(tcFilters(veth.host, "ingress")).not.toMatch(/lbt_tc/);
    expect(hasClsact(veth.host)).toBe(false); // we created it, so we removed it

    pingQuietly(2);
    await tick(50);
    expect(reader.consume()).toBe(0);
    reader.close();
    reader.close();
  });

  it("consume() drains pending records synchronously", () => {
    const obj = load();
    let delivered = 0;
    const reader = new RingBufferReader(obj.map("events"), (_d, _o, count) => {
      delivered += count;
    });
    obj.program("lbt_tc").testRun({ data: new Uint8Array(64), repeat: 7 });
    expect(reader.consume()).toBe(7);
    expect(delivered).toBe(7);
    expect(reader.consume()).toBe(0);
    obj.close(); // closes the reader with it
    expect(() => reader.consume()).toThrow(/reader is closed/);
  });

  it("propagates an exception thrown by onBatch out of consume()", () => {
    const obj = load();
    const reader = new RingBufferReader(obj.map("events"), () => {
      throw new Error("decoder failed");
    });
    obj.program("lbt_tc").testRun({ data: new Uint8Array(64) });
    expect(() => reader.consume()).toThrow("decoder failed");
    expect(reader.consume()).toBe(0); // the failed batch was already taken off the ring
  });

  it("keeps a clsact it did not create and replaces a stale filter with the same handle/priority", () => {
    run("tc", ["qdisc", "add", "dev", veth.host, "clsact"]);
    try {
      const first = load().program("lbt_tc").attachTc(veth.hostIfindex, "egress", { handle: 7, priority: 3 });
      const second = load().program("lbt_tc").attachTc(veth.hostIfindex, "egress", { handle: 7, priority: 3 });
      const filters = tcFilters(veth.host, "egress")
        .split("\n")
        .filter((l) => l.includes("lbt_tc"));
      expect(filters.length).toBe(1);
      second.close();
      first.close();
      expect(tcFilters(veth.host, "egress")).not.toMatch(/lbt_tc/);
      expect(hasClsact(veth.host)).toBe(true);
    } finally {
      tryRun("tc", ["qdisc", "del", "dev", veth.host, "clsact"]);
    }
  });

  it("closing the object detaches its links", () => {
    const obj = load();
    obj.program("lbt_tc").attachTc(veth.hostIfindex, "ingress");
    obj.program("lbt_tc").attachTc(veth.hostIfindex, "egress");
    expect(tcFilters(veth.host, "egress")).toMatch(/lbt_tc/);
    obj.close();
    expect(tcFilters(veth.host, "ingress")).not.toMatch(/lbt_tc/);
    expect(tcFilters(veth.host, "egress")).not.toMatch(/lbt_tc/);
    expect(hasClsact(veth.host)).toBe(false);
  });

  it("fails with ENODEV on a nonexistent ifindex", () => {
    const prog = load().program("lbt_tc");
    const err = catchError(() => prog.attachTc(0x7ffffff0, "ingress", { ifname: "lbt-none" }));
    expect(err).toBeInstanceOf(LibbpfError);
    expect((err as LibbpfError).code).toBe("ENODEV");
    expect((err as LibbpfError).message).toMatch(/^attach tc ingress to ifindex 2147483632 \(lbt-none\): ENODEV — /);
  });
});

describe("tracepoint and cgroup", () => {
  it("counts getppid calls of this process while attached", () => {
    const obj = load({ target_tgid: process.pid });
    const calls = obj.map("calls");
    const link = obj.program("lbt_getppid").attachTracepoint("syscalls", "sys_enter_getppid");
    for (let i = 0; i < 5; i++) void process.ppid;
    const seen = calls.lookup(u32(0))?.readBigUInt64LE() ?? 0n;
    expect(seen).toBeGreaterThanOrEqual(5n);
    link.close();
    for (let i = 0; i < 5; i++) void process.ppid;
    expect(calls.lookup(u32(0))?.readBigUInt64LE()).toBe(seen);
  });

  it("reports an unknown tracepoint", () => {
    const prog = load().program("lbt_getppid");
    expect(() => prog.attachTracepoint("syscalls", "sys_enter_nope")).toThrow(/attach tracepoint syscalls\/sys_enter_nope: ENOENT/);
  });

  it("runs a cgroup/connect4 hook for processes in the cgroup", () => {
    mkdirSync(cgroupPath, { recursive: true });
    const obj = load();
    const calls = obj.map("calls");
    const link = obj.program("lbt_connect4").attachCgroup(cgroupPath);
    const connectFromCgroup = () => {
      const script = `require('fs').writeFileSync(${JSON.stringify(`${cgroupPath}/cgroup.procs`)}, String(process.pid));
        const s = require('dgram').createSocket('udp4'); s.connect(9, '127.0.0.1', () => s.close());`;
      const res = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
      expect(res.status, res.stderr).toBe(0);
    };
    connectFromCgroup();
    const seen = calls.lookup(u32(1))?.readBigUInt64LE() ?? 0n;
    expect(seen).toBeGreaterThanOrEqual(1n);
    link.close();
    connectFromCgroup();
    expect(calls.lookup(u32(1))?.readBigUInt64LE()).toBe(seen);
  });
});

describe("maps", () => {
  it("update, lookup, delete with flags", () => {
    const counts = load().map("counts");
    expect(counts.lookup(u32(1))).toBeUndefined();
    counts.update(u32(1), u64(10n));
    expect(counts.lookup(u32(1))).toEqual(u64(10n));
    expect(() => counts.update(u32(1), u64(11n), "noexist")).toThrow(/EEXIST/);
    counts.update(u32(1), u64(12n), "exist");
    expect(counts.lookup(u32(1))?.readBigUInt64LE()).toBe(12n);
    expect(() => counts.update(u32(2), u64(1n), "exist")).toThrow(/ENOENT/);
    expect(counts.delete(u32(1))).toBe(true);
    expect(counts.delete(u32(1))).toBe(false);
    expect(() => counts.lookup(new Uint8Array(3))).toThrow(/key must be 4 bytes, got 3/);
  });

  it("iterates keys and entries and reads them in one batch", () => {
    const counts = load().map("counts");
    for (let k = 100; k < 120; k++) counts.update(u32(k), u64(BigInt(k * 2)));
    const keys = [...counts.keys()].map((k) => k.readUInt32LE()).sort((a, b) => a - b);
    expect(keys).toEqual(Array.from({ length: 20 }, (_, i) => 100 + i));
    for (const [k, v] of counts.entries()) expect(v.readBigUInt64LE()).toBe(BigInt(k.readUInt32LE() * 2));

    const batch = counts.lookupBatch();
    expect(batch).toBeDefined();
    if (!batch) return;
    expect(batch.count).toBe(20);
    expect(batch.keys.length).toBe(20 * 4);
    expect(batch.values.length).toBe(20 * 8);
    for (let i = 0; i < batch.count; i++) {
      expect(batch.values.readBigUInt64LE(i * 8)).toBe(BigInt(batch.keys.readUInt32LE(i * 4) * 2));
    }
  });

  it("has no batch lookup for ring buffers", () => {
    expect(load().map("events").lookupBatch(1)).toBeUndefined();
  });

  it("reads per-CPU values with one slot per possible CPU", () => {
    const obj = load();
    obj.program("lbt_tc").testRun({ data: new Uint8Array(64), repeat: 9 });
    const hits = obj.map("percpu_hits");
    const value = hits.lookup(u32(0));
    const cpus = possibleCpus();
    expect(cpus).toBeGreaterThanOrEqual(1);
    expect(value?.length).toBe(cpus * 8);
    let sum = 0n;
    for (let cpu = 0; cpu < cpus; cpu++) sum += value?.readBigUInt64LE(cpu * 8) ?? 0n;
    expect(sum).toBe(9n);
    const batch = hits.lookupBatch();
    expect(batch?.count).toBe(4);
    expect(batch?.values.length).toBe(4 * cpus * 8);
    expect(() => hits.update(u32(0), u64(1n))).toThrow(new RegExp(`value must be ${cpus * 8} bytes`));
  });

  it("pins, opens pinned, reuses the pin in a new object, and unpins", () => {
    const first = load();
    first.map("counts").update(u32(7), u64(70n));
    first.map("counts").pin(pinPath);
    expect(() => first.map("counts").pin(pinPath)).toThrow(/EEXIST/);

    const pinned = BpfMap.openPinned(pinPath);
    expect(pinned).toMatchObject({ name: "counts", type: "hash", keySize: 4, valueSize: 8, maxEntries: 64 });
    expect(pinned.lookup(u32(7))?.readBigUInt64LE()).toBe(70n);
    pinned.close();
    pinned.close();

    const second = BpfObject.open(objectPath);
    objects.push(second);
    expect(second.reusePinnedMap("counts", pinPath)).toBe(true);
    expect(second.reusePinnedMap("calls", `${pinPath}-absent`)).toBe(false);
    second.load();
    expect(second.map("counts").lookup(u32(7))?.readBigUInt64LE()).toBe(70n);

    second.map("counts").unpin(pinPath);
    expect(existsSync(pinPath)).toBe(false);
    expect(() => BpfMap.openPinned(pinPath)).toThrow(/ENOENT/);
  });
});

describe("errors", () => {
  it("names a missing object file and says how to build it", () => {
    expect(() => BpfObject.open("/nonexistent/lbt.bpf.o")).toThrow(
      "open BPF object /nonexistent/lbt.bpf.o: ENOENT — build the BPF objects first (make -C bpf)",
    );
  });

  it("lists what exists when a program or map is unknown", () => {
    const obj = load();
    expect(() => obj.program("nope")).toThrow(/find program nope .*: ENOENT — available programs: lbt_tc, lbt_getppid, lbt_connect4/);
    expect(() => obj.map("nope")).toThrow(/available maps: counts, percpu_hits, events, calls/);
  });

  it("includes the verifier log when a program is rejected", () => {
    const bad = BpfObject.open(buildFixture("lbt_bad"));
    objects.push(bad);
    const err = catchError(() => bad.load());
    expect(err).toBeInstanceOf(LibbpfError);
    const e = err as LibbpfError;
    expect(e.op).toMatch(/^load /);
    expect(e.message).toMatch(/invalid access to packet|R\d+ invalid mem access/);
    expect(e.log.split("\n").length).toBeLessThanOrEqual(31);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}
