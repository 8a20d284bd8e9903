import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff.js";

describe("Backoff", () => {
  it("doubles from 1 s up to 1 min and stays there", () => {
    const b = new Backoff();
    const delays = Array.from({ length: 9 }, () => b.next());
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  it("starts over after reset", () => {
    const b = new Backoff();
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(1000);
  });

  it("jitter only shortens a delay, never beyond the jitter fraction", () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 60_000, jitter: 0.2 }, () => 1);
    expect(b.next()).toBe(800);
    const c = new Backoff({ initialMs: 1000, maxMs: 60_000, jitter: 0.2 }, () => 0);
    expect(c.next()).toBe(1000);
  });

  it("does not overflow after many attempts", () => {
    const b = new Backoff();
    for (let i = 0; i < 10_000; i++) b.next();
    expect(b.next()).toBe(60_000);
  });
});
