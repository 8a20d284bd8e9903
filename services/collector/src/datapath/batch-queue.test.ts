import { describe, expect, it, vi } from "vitest";
import { BatchQueue } from "./batch-queue.js";

function recorder() {
  const calls: number[][] = [];
  return { calls, sink: { decodeBatch: (_b: Buffer, offs: Uint32Array, n: number) => calls.push([...offs.subarray(0, n)]) } };
}

const offsets = (n: number) => Uint32Array.from({ length: n + 1 }, (_, i) => i * 10);

describe("BatchQueue", () => {
  it("decodes a large batch in slices, one per event-loop turn", async () => {
    const r = recorder();
    const q = new BatchQueue(r.sink, () => {}, 4);
    q.push(Buffer.alloc(100), offsets(10), 10);
    expect(r.calls).toEqual([]); // nothing synchronously
    await new Promise((ok) => setImmediate(ok));
    expect(r.calls).toEqual([[0, 10, 20, 30]]);
    await vi.waitFor(() => expect(r.calls).toHaveLength(3));
    expect(r.calls).toEqual([
      [0, 10, 20, 30],
      [40, 50, 60, 70],
      [80, 90],
    ]);
    expect(q.pending).toBe(0);
  });

  it("drops and counts whole batches beyond its bound", () => {
    const lost: number[] = [];
    const r = recorder();
    const q = new BatchQueue(r.sink, (n) => lost.push(n), 4, 8);
    q.push(Buffer.alloc(100), offsets(6), 6);
    q.push(Buffer.alloc(100), offsets(3), 3);
    expect(lost).toEqual([3]);
    expect(q.dropped).toBe(3);
    q.flush();
    expect(r.calls.flat()).toEqual([0, 10, 20, 30, 40, 50]);
  });
});
