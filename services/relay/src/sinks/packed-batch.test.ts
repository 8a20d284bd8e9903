import { describe, expect, it } from "vitest";
import { packBatch, unpackBatch } from "./packed-batch.js";

describe("packed batches", () => {
  it("round-trip bytes and times, empty flows and empty batches included", () => {
    const flows = [
      { bytes: new Uint8Array([1, 2, 3]), timeNs: 1_700_000_000_123_456_800 },
      { bytes: new Uint8Array(0), timeNs: 0 },
      { bytes: new Uint8Array(300).fill(7), timeNs: 42 },
    ];
    const back = unpackBatch(packBatch(flows));
    expect(back.map((f) => [Array.from(f.bytes), f.timeNs])).toEqual(flows.map((f) => [Array.from(f.bytes), f.timeNs]));
    expect(unpackBatch(packBatch([]))).toEqual([]);
  });

  it("copy the bytes out of views into larger buffers", () => {
    const big = new Uint8Array(100).map((_, i) => i);
    const back = unpackBatch(packBatch([{ bytes: big.subarray(10, 20), timeNs: 1 }]));
    expect(Array.from(back[0].bytes)).toEqual(Array.from(big.subarray(10, 20)));
  });
});
