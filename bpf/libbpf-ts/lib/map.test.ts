// Unit tests of BpfMap and RingBufferReader with a fake binding: sizes, per-CPU values, flags, close rules.
import { afterEach, describe, expect, it } from "vitest";
import { fakeBinding } from "../test/fake-binding.js";
import { closeAll } from "./lifecycle.js";
import { BpfMap } from "./map.js";
import { BpfObject } from "./object.js";
import { RingBufferReader } from "./ringbuf.js";

const path = new URL(import.meta.url).pathname;

function loaded(cpus = 4) {
  const binding = fakeBinding({ cpus });
  const obj = BpfObject.open(path, { binding, kernelBtfPath: path });
  obj.load();
  return { binding, obj };
}

afterEach(() => closeAll());

describe("BpfMap", () => {
  it("checks key and value sizes", () => {
    const counts = loaded().obj.map("counts");
    expect(() => counts.lookup(new Uint8Array(8))).toThrow("BpfMap(counts).lookup: key must be 4 bytes, got 8");
    expect(() => counts.update(new Uint8Array(4), new Uint8Array(4))).toThrow("BpfMap(counts).update: value must be 8 bytes, got 4");
    expect(() => counts.update(new Uint8Array(4), new Uint8Array(8), "sometimes" as "any")).toThrow(
      /flags must be one of 'any', 'noexist', 'exist'/,
    );
  });

  it("sizes per-CPU values as nCPU * roundup(valueSize, 8)", () => {
    const perCpu = loaded(3).obj.map("per_cpu");
    expect(perCpu.perCpu).toBe(true);
    expect(perCpu.valueBytes).toBe(3 * 8);
    expect(() => perCpu.update(new Uint8Array(4), new Uint8Array(4))).toThrow(/value must be 24 bytes, got 4/);
    perCpu.update(new Uint8Array(4), new Uint8Array(24));
    expect(perCpu.lookup(new Uint8Array(4))?.length).toBe(24);
  });

  it("iterates keys and entries", () => {
    const counts = loaded().obj.map("counts");
    for (const k of [1, 2, 3]) counts.update(Buffer.from([k, 0, 0, 0]), Buffer.alloc(8, k));
    expect([...counts.keys()].map((k) => k[0])).toEqual([1, 2, 3]);
    expect([...counts.entries()].map(([k, v]) => [k[0], v[7]])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(counts.delete(Buffer.from([2, 0, 0, 0]))).toBe(true);
    expect(counts.delete(Buffer.from([2, 0, 0, 0]))).toBe(false);
  });

  it("returns undefined from lookupBatch when unsupported and validates maxEntries", () => {
    const counts = loaded().obj.map("counts");
    expect(counts.lookupBatch()).toBeUndefined();
    expect(() => counts.lookupBatch(0)).toThrow(/maxEntries must be between 1/);
  });

  it("is unusable after its object closes", () => {
    const { obj } = loaded();
    const counts = obj.map("counts");
    obj.close();
    expect(() => counts.fd).toThrow("BpfMap(counts).fd: the map is closed");
  });

  it("explains pin failures", () => {
    const { binding, obj } = loaded();
    binding.failNext("mapPin", 17);
    expect(() => obj.map("counts").pin("/sys/fs/bpf/x")).toThrow(
      "pin map counts at /sys/fs/bpf/x: EEXIST — something is already pinned there; unpin it first",
    );
  });

  it("opens pinned maps and closes their fd once", () => {
    const binding = fakeBinding();
    const map = BpfMap.openPinned("/sys/fs/bpf/x", { binding });
    expect(map).toMatchObject({ name: "pinned", keySize: 4, valueSize: 4, maxEntries: 8 });
    map.close();
    map.close();
    expect(binding.calls.filter((c) => c === "mapClose")).toHaveLength(1);
    binding.failNext("mapOpenPinned", 2);
    expect(() => BpfMap.openPinned("/sys/fs/bpf/y", { binding })).toThrow(
      /open pinned map \/sys\/fs\/bpf\/y: ENOENT — nothing is pinned there/,
    );
  });
});

describe("RingBufferReader", () => {
  it("accepts only ringbuf maps and a function", () => {
    const { obj, binding } = loaded();
    expect(() => new RingBufferReader(obj.map("counts"), () => {}, { binding })).toThrow(/map counts is a hash map, not a ringbuf/);
    expect(() => new RingBufferReader(obj.map("events"), "x" as never, { binding })).toThrow(/onBatch must be a function/);
  });

  it("closes with its object, before the object", () => {
    const { obj, binding } = loaded();
    const reader = new RingBufferReader(obj.map("events"), () => {}, { binding });
    expect(reader.consume()).toBe(0);
    obj.close();
    reader.close();
    expect(binding.calls.slice(-2)).toEqual(["ringbufClose", "objectClose"]);
    expect(() => reader.consume()).toThrow(/the reader is closed/);
  });
});
