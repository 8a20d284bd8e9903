import { describe, expect, it, vi } from "vitest";
import type { RelayFlow } from "../merge/relay-flow.js";
import { BufferedSink, type Delivery } from "./sink.js";

const flow = (i: number, size = 10): RelayFlow => ({ kind: "flow", node: "n", uuid: `u${i}`, timeNs: i, bytes: new Uint8Array(size) });

/** A store that can be switched down and up, recording what it stored. */
function store() {
  const stored: string[] = [];
  let up = true;
  let calls = 0;
  const d: Delivery = {
    async deliver(batch) {
      calls++;
      if (!up) throw new Error("store down");
      stored.push(...batch.map((f) => f.uuid));
    },
    async close() {},
  };
  return {
    d,
    stored,
    calls: () => calls,
    setUp(v: boolean) {
      up = v;
    },
  };
}

const opts = { maxFlows: 100, maxBytes: 1 << 20, batchFlows: 10, lingerMs: 5, retryInitialMs: 5, retryMaxMs: 20 };
const until = (cond: () => boolean, ms = 3000) =>
  vi.waitFor(
    () => {
      if (!cond()) throw new Error("timed out");
    },
    { timeout: ms, interval: 5 },
  );

describe("BufferedSink", () => {
  it("delivers every flow in order, in batches no larger than batchFlows", async () => {
    const s = store();
    const sizes: number[] = [];
    const sink = new BufferedSink(
      {
        deliver: async (b) => {
          sizes.push(b.length);
          await s.d.deliver(b);
        },
        close: s.d.close,
      },
      opts,
    );
    for (let i = 0; i < 95; i++) sink.write(flow(i));
    await until(() => s.stored.length === 95);
    expect(s.stored).toEqual(Array.from({ length: 95 }, (_, i) => `u${i}`));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(10);
    expect(sink.stats()).toMatchObject({ produced: 95, dropped: 0, bufferedFlows: 0, bufferedBytes: 0 });
    await sink.close();
  });

  it("while the store is down, keeps up to maxFlows, drops and counts exactly the rest, then delivers the kept ones", async () => {
    const s = store();
    s.setUp(false);
    const dropsSeen: number[] = [];
    const sink = new BufferedSink(s.d, opts, { dropped: (n) => dropsSeen.push(n) });
    for (let i = 0; i < 250; i++) sink.write(flow(i));
    expect(sink.stats()).toMatchObject({ bufferedFlows: 100, bufferedBytes: 1000, dropped: 150 });
    expect(dropsSeen.length).toBe(150);
    await until(() => s.calls() >= 3); // retried while down
    expect(sink.stats().errors).toBeGreaterThanOrEqual(3);
    s.setUp(true);
    await until(() => s.stored.length === 100);
    expect(s.stored).toEqual(Array.from({ length: 100 }, (_, i) => `u${i}`));
    expect(sink.stats()).toMatchObject({ produced: 100, dropped: 150, bufferedFlows: 0 });
    await sink.close();
  });

  it("bounds the buffer in bytes too", () => {
    const s = store();
    s.setUp(false);
    const sink = new BufferedSink(s.d, { ...opts, maxFlows: 1000, maxBytes: 1000 });
    for (let i = 0; i < 30; i++) sink.write(flow(i, 100));
    expect(sink.stats()).toMatchObject({ bufferedFlows: 10, bufferedBytes: 1000, dropped: 20 });
    // A smaller flow still fits when there is room for it, a larger one does not.
    void sink.close(1);
  });

  it("flushes what is buffered on close", async () => {
    const s = store();
    const sink = new BufferedSink(s.d, { ...opts, lingerMs: 10_000 });
    for (let i = 0; i < 3; i++) sink.write(flow(i));
    await sink.close();
    expect(s.stored).toEqual(["u0", "u1", "u2"]);
  });
});

describe("BufferedSink with several deliveries", () => {
  it("keeps several batches in flight, counts them in the buffer until acknowledged, delivers each flow once", async () => {
    const stored: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const release: (() => void)[] = [];
    const mk = () => ({
      async deliver(batch: RelayFlow[]) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise<void>((r) => release.push(r));
        inFlight--;
        stored.push(...batch.map((f) => f.uuid));
      },
      async close() {},
    });
    const sink = new BufferedSink([mk(), mk(), mk()], { ...opts, maxFlows: 40, batchFlows: 10 });
    for (let i = 0; i < 60; i++) sink.write(flow(i));
    await until(() => release.length === 3);
    // 30 in flight + 10 queued = the 40-flow bound; 20 dropped.
    expect(sink.stats()).toMatchObject({ bufferedFlows: 40, dropped: 20 });
    while (stored.length < 40) {
      for (const r of release.splice(0)) r();
      await until(() => release.length > 0 || stored.length >= 40); // the next inserts started, or all are stored
    }
    expect(maxInFlight).toBe(3);
    expect(new Set(stored)).toEqual(new Set(Array.from({ length: 40 }, (_, i) => `u${i}`)));
    expect(sink.stats()).toMatchObject({ produced: 40, bufferedFlows: 0, bufferedBytes: 0 });
    await sink.close();
  });
});
