import { describe, expect, it } from "vitest";
import { SeenUuids } from "./dedup.js";

describe("SeenUuids", () => {
  it("accepts a uuid once", () => {
    const s = new SeenUuids(4);
    expect(s.add("a")).toBe(true);
    expect(s.add("a")).toBe(false);
    expect(s.add("b")).toBe(true);
  });

  it("forgets the oldest uuids beyond its capacity and never grows past it", () => {
    const s = new SeenUuids(3);
    for (const u of ["a", "b", "c", "d"]) s.add(u);
    expect(s.size).toBe(3);
    expect(s.has("a")).toBe(false);
    expect(s.has("b") && s.has("c") && s.has("d")).toBe(true);
    expect(s.add("a")).toBe(true); // forgotten, so new again
    expect(s.has("b")).toBe(false);
    for (let i = 0; i < 1000; i++) s.add(`u${i}`);
    expect(s.size).toBe(3);
  });

  it("a duplicate does not take a slot", () => {
    const s = new SeenUuids(2);
    s.add("a");
    s.add("a");
    s.add("b");
    expect(s.has("a") && s.has("b")).toBe(true);
  });

  it("refuses a bad capacity", () => {
    expect(() => new SeenUuids(0)).toThrow(/positive integer/);
  });
});
