import { describe, expect, it } from "vitest";
import { SortBuffer } from "./sort-buffer.js";

function harness(capacity: number, drainTimeoutMs = 1000) {
  let now = 0;
  const out: number[] = [];
  let flushes = 0;
  const buf = new SortBuffer<number>({
    capacity,
    drainTimeoutMs,
    timeOf: (t) => t,
    emit: (t) => out.push(t),
    flushed: () => flushes++,
    now: () => now,
  });
  return {
    buf,
    out,
    flushes: () => flushes,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe("SortBuffer", () => {
  it("holds up to capacity items and lets the oldest out in time order", () => {
    const h = harness(3);
    for (const t of [5, 1, 4]) h.buf.push(t);
    expect(h.out).toEqual([]);
    h.buf.push(2);
    expect(h.out).toEqual([1]);
    h.buf.push(3);
    expect(h.out).toEqual([1, 2]);
    h.buf.flush();
    expect(h.out).toEqual([1, 2, 3, 4, 5]);
  });

  it("merges interleaved, individually ordered streams into one ordered stream", () => {
    const h = harness(8);
    const a = [1, 4, 7, 10, 13, 16];
    const b = [2, 3, 8, 9, 14, 15];
    for (let i = 0; i < a.length; i++) {
      h.buf.push(a[i]);
      h.buf.push(b[i]);
    }
    h.buf.flush();
    expect(h.out).toEqual([...a, ...b].sort((x, y) => x - y));
  });

  it("keeps arrival order for equal times", () => {
    const out: string[] = [];
    const buf = new SortBuffer<[number, string]>({ capacity: 10, drainTimeoutMs: 1000, timeOf: (x) => x[0], emit: (x) => out.push(x[1]) });
    for (const x of [
      [1, "a"],
      [1, "b"],
      [0, "z"],
      [1, "c"],
    ] as [number, string][])
      buf.push(x);
    buf.flush();
    expect(out).toEqual(["z", "a", "b", "c"]);
  });

  it("drains items that waited drainTimeout, and older-by-time ones with them, keeping newer ones", () => {
    const h = harness(100, 1000);
    h.buf.push(10);
    h.buf.push(30);
    h.advance(600);
    h.buf.push(20); // arrived later but older by time than 30
    h.buf.push(40);
    h.buf.drain();
    expect(h.out).toEqual([]); // nothing waited 1 s yet
    h.advance(400);
    h.buf.drain(); // 10 and 30 waited 1 s; 20 is older than 30 so it leaves before it
    expect(h.out).toEqual([10, 20, 30]);
    expect(h.buf.size).toBe(1);
    expect(h.flushes()).toBe(1);
    h.advance(600);
    h.buf.drain();
    expect(h.out).toEqual([10, 20, 30, 40]);
  });

  it("a steady trickle below capacity is never held longer than the drain timeout", () => {
    const h = harness(100, 1000);
    for (let t = 0; t < 50; t++) {
      h.buf.push(t);
      h.advance(100);
      h.buf.drain();
    }
    // Everything that arrived 1 s or more ago is out.
    expect(h.out).toEqual(Array.from({ length: 41 }, (_, i) => i));
  });

  it("never holds more than capacity items", () => {
    const h = harness(5);
    for (let i = 0; i < 1000; i++) {
      h.buf.push((i * 7919) % 1000);
      expect(h.buf.size).toBeLessThanOrEqual(5);
    }
    expect(h.out.length).toBe(995);
  });
});
