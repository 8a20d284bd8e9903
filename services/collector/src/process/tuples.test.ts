import { describe, expect, it } from "vitest";
import { BoundedTable, tupleKey } from "./tuples.js";

describe("BoundedTable", () => {
  it("keeps at most its limit and forgets the oldest first", () => {
    const t = new BoundedTable<number>(4);
    for (let i = 0; i < 10; i++) t.set(`k${i}`, i);
    expect(t.size).toBeLessThanOrEqual(4);
    expect(t.get("k9")).toBe(9);
    expect(t.get("k0")).toBeUndefined();
  });
  it("keeps entries that are read", () => {
    const t = new BoundedTable<number>(4);
    t.set("a", 1);
    for (let i = 0; i < 6; i++) {
      t.set(`k${i}`, i);
      expect(t.get("a")).toBe(1);
    }
  });
});

describe("tupleKey", () => {
  it("is the same for both directions", () => {
    expect(tupleKey("10.0.0.1", 1234, "10.0.0.2", 80)).toBe(tupleKey("10.0.0.2", 80, "10.0.0.1", 1234));
  });
});
