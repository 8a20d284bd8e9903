import { describe, expect, it } from "vitest";
import { LiveRing } from "./ring.js";

describe("LiveRing", () => {
  it("keeps the last `capacity` entries and reports the oldest", () => {
    const r = new LiveRing<number>(3);
    for (let i = 0; i < 5; i++) r.push(i, i * 10);
    expect([r.size, r.written, r.oldest]).toEqual([3, 5, 2]);
    expect([r.get(1), r.get(2), r.get(4), r.get(5)]).toEqual([undefined, 2, 4, undefined]);
  });

  it("finds the first entry at or after a time", () => {
    const r = new LiveRing<number>(8);
    for (let i = 0; i < 8; i++) r.push(i, i * 10);
    expect(r.seekTime(25)).toBe(3);
    expect(r.seekTime(0)).toBe(0);
    expect(r.seekTime(1000)).toBe(8);
  });

  it("still seeks correctly once sequence numbers pass 2^32", () => {
    const r = new LiveRing<number>(4);
    // Fast-forward the writer as if it had run for days.
    (r as unknown as { head: number }).head = 2 ** 32 + 5000;
    for (let i = 0; i < 4; i++) r.push(i, 1000 + i);
    const start = r.oldest;
    expect(start).toBe(2 ** 32 + 5000);
    expect(r.seekTime(1002)).toBe(start + 2);
    expect(r.get(start + 3)).toBe(3);
  });
});
