// startRetention: runs at once and on every interval, one run at a time, errors reported and the schedule goes on.
import { afterEach, describe, expect, test, vi } from "vitest";
import { startRetention } from "./retention.js";

describe("startRetention", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test("runs now and then every interval with the configured days", async () => {
    vi.useFakeTimers();
    const calls: number[] = [];
    const dropped: string[][] = [];
    const r = startRetention(
      {
        dropPartitionsOlderThan: async (days: number) => {
          calls.push(days);
          return calls.length === 2 ? ["20300101"] : [];
        },
      },
      { days: 3, intervalMs: 1000, onDrop: (d) => dropped.push(d) },
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual([3]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toEqual([3, 3]);
    expect(dropped).toEqual([["20300101"]]);
    r.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls).toHaveLength(2);
  });

  test("a failing run is reported and the next one still happens; runs never overlap", async () => {
    vi.useFakeTimers();
    const errors: string[] = [];
    let n = 0;
    let release: (() => void) | undefined;
    const r = startRetention(
      {
        dropPartitionsOlderThan: async () => {
          n++;
          if (n === 1) throw new Error("server down");
          await new Promise<void>((res) => {
            release = res;
          });
          return [];
        },
      },
      { intervalMs: 1000, onError: (e) => errors.push(e.message) },
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toEqual(["server down"]);
    await vi.advanceTimersByTimeAsync(1000); // second run starts and hangs
    await vi.advanceTimersByTimeAsync(1000); // third tick joins the running one
    expect(n).toBe(2);
    release?.();
    await vi.advanceTimersByTimeAsync(0);
    r.stop();
  });
});
