import { afterEach, describe, expect, it, vi } from "vitest";
import { DecodeBackpressure } from "./backpressure.js";

afterEach(() => vi.useRealTimers());

describe("DecodeBackpressure", () => {
  it("holds decoding while a stream waits, within its budget", () => {
    vi.useFakeTimers({ toFake: ["performance"] });
    const bp = new DecodeBackpressure(100, 50);
    expect(bp.shouldHold()).toBe(false);
    bp.streamWaiting(true);
    vi.advanceTimersByTime(60);
    expect(bp.shouldHold()).toBe(true); // 40 ms left
    vi.advanceTimersByTime(60);
    expect(bp.shouldHold()).toBe(false); // budget spent: the slow client gets lapped instead
    bp.streamWaiting(false);
    vi.advanceTimersByTime(1000); // refills 50 ms per second
    expect(bp.shouldHold()).toBe(false);
    bp.streamWaiting(true); // 30 ms of budget back
    vi.advanceTimersByTime(20);
    expect(bp.shouldHold()).toBe(true);
  });

  it("never holds when no stream waits", () => {
    const bp = new DecodeBackpressure();
    bp.streamWaiting(true);
    bp.streamWaiting(false);
    expect(bp.shouldHold()).toBe(false);
  });
});
