import { BinaryReader } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import { ProtoWriter } from "./writer.js";

describe("ProtoWriter", () => {
  it("writes varints up to 2^53", () => {
    for (const v of [1, 127, 128, 300, 2 ** 32 + 5, 2 ** 53 - 1]) {
      const w = new ProtoWriter(4);
      w.uint(1, v);
      const r = new BinaryReader(w.finish());
      expect(r.tag()).toEqual([1, 0]);
      expect(Number(r.uint64())).toBe(v);
    }
  });

  it("skips proto3 defaults", () => {
    const w = new ProtoWriter();
    w.uint(1, 0);
    w.bool(2, false);
    w.string(3, "");
    expect(w.finish().length).toBe(0);
  });

  it("fixes up nested lengths of 128 bytes and more", () => {
    for (const n of [0, 1, 127, 128, 16383, 16384, 70000]) {
      const w = new ProtoWriter(8);
      const outer = w.begin(5);
      w.string(1, "x".repeat(n));
      w.end(outer);
      w.uint(2, 7);
      const r = new BinaryReader(w.finish());
      expect(r.tag()).toEqual([5, 2]);
      const inner = new BinaryReader(r.bytes());
      if (n > 0) {
        expect(inner.tag()).toEqual([1, 2]);
        expect(inner.string()).toBe("x".repeat(n));
      }
      expect(r.tag()).toEqual([2, 0]);
      expect(r.uint32()).toBe(7);
    }
  });

  it("writes UTF-8 strings", () => {
    const w = new ProtoWriter(2);
    w.string(1, "ünïcødé ✓");
    const r = new BinaryReader(w.finish());
    r.tag();
    expect(r.string()).toBe("ünïcødé ✓");
  });
});
