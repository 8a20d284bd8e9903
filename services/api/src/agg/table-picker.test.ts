// The table picker: coarsest fitting table, columns, retention, step alignment, bounds.
import { describe, expect, it } from "vitest";
import { ApiError } from "../errors.js";
import { defaultTables, MAX_POINTS, pickTable } from "./table-picker.js";

const NOW = Date.parse("2026-03-10T12:00:00Z");
const H = 3_600_000;
const D = 24 * H;
const all = () => true;

describe("pickTable", () => {
  it("takes the coarsest table whose resolution is at most range / points", () => {
    expect(pickTable({ sinceMs: NOW - 2 * H, untilMs: NOW, nowMs: NOW, points: 120, fits: all })).toMatchObject({
      table: "flows_minute",
      stepS: 60,
      points: 120,
    });
    expect(pickTable({ sinceMs: NOW - 6 * H, untilMs: NOW, nowMs: NOW, points: 72, fits: all })).toMatchObject({
      table: "flows_5m",
      stepS: 300,
      points: 72,
    });
    expect(pickTable({ sinceMs: NOW - 7 * D, untilMs: NOW, nowMs: NOW, points: 168, fits: all })).toMatchObject({
      table: "flows_1h",
      stepS: 3600,
      points: 168,
    });
    expect(pickTable({ sinceMs: NOW - 10 * 60_000, untilMs: NOW, nowMs: NOW, points: 600, fits: all })).toMatchObject({
      table: "flows",
      stepS: 1,
    });
  });

  it("rounds the step up to a multiple of the table's resolution and aligns since down, until up", () => {
    const since = Date.parse("2026-03-10T10:07:30Z");
    const until = Date.parse("2026-03-10T11:52:10Z");
    const p = pickTable({ sinceMs: since, untilMs: until, nowMs: NOW, stepS: 420, fits: all });
    expect(p).toMatchObject({ table: "flows_5m", stepS: 600 });
    expect(new Date(p.sinceS * 1000).toISOString()).toBe("2026-03-10T10:00:00.000Z");
    expect(new Date(p.untilS * 1000).toISOString()).toBe("2026-03-10T12:00:00.000Z");
    expect(p.points).toBe(12);
  });

  it("skips tables that lack a column the query needs", () => {
    const noCoarse = (t: string) => t === "flows" || t === "flows_minute";
    expect(pickTable({ sinceMs: NOW - 7 * D, untilMs: NOW, nowMs: NOW, points: 168, fits: noCoarse })).toMatchObject({
      table: "flows_minute",
      stepS: 3600,
    });
    expect(pickTable({ sinceMs: NOW - 2 * D, untilMs: NOW, nowMs: NOW, points: 48, fits: (t) => t === "flows" })).toMatchObject({
      table: "flows",
      stepS: 3600,
    });
  });

  it("skips tables whose retention does not reach since", () => {
    // 60 days back: flows (7 d) and flows_minute (30 d) no longer hold it; a 60 s step cannot be honoured
    const p = pickTable({ sinceMs: NOW - 60 * D, untilMs: NOW - 59 * D, nowMs: NOW, stepS: 60, fits: all });
    expect(p).toMatchObject({ table: "flows_5m", stepS: 300 });
    // nothing reaches back: the table that reaches furthest, and the reason says so
    const old = pickTable({ sinceMs: NOW - 500 * D, untilMs: NOW - 499 * D, nowMs: NOW, points: 24, fits: all });
    expect(old.table).toBe("flows_1h");
    expect(old.reason).toMatch(/no table keeps data back/);
    const custom = defaultTables({ flows: 7, flows_minute: 2, flows_5m: 3, flows_1h: 4 });
    expect(pickTable({ sinceMs: NOW - 3.5 * D, untilMs: NOW, nowMs: NOW, points: 50, fits: all, tables: custom }).table).toBe("flows_1h");
    // a 50-minute target step: only raw flows (7 d) reach back 3.5 days with a resolution that fine
    expect(pickTable({ sinceMs: NOW - 3.5 * D, untilMs: NOW, nowMs: NOW, points: 100, fits: all, tables: custom }).table).toBe("flows");
  });

  it("totals align to the table's resolution and count as one point", () => {
    const p = pickTable({ sinceMs: NOW - 7 * D + 1234, untilMs: NOW - 1, nowMs: NOW, totals: true, fits: all });
    expect(p).toMatchObject({ table: "flows_1h", points: 1 });
    expect(p.sinceS % 3600).toBe(0);
    expect(p.untilS % 3600).toBe(0);
    expect(p.stepS).toBe(p.untilS - p.sinceS);
  });

  it("never gives more points than asked (the target step rounds up)", () => {
    const p = pickTable({ sinceMs: NOW - 7 * D, untilMs: NOW, nowMs: NOW, points: MAX_POINTS, fits: all });
    expect(p).toMatchObject({ table: "flows_minute", stepS: 120, points: 5040 });
  });

  it("refuses more than MAX_POINTS buckets and a query no table can answer", () => {
    expect(() => pickTable({ sinceMs: NOW - 7 * D, untilMs: NOW, nowMs: NOW, stepS: 1, fits: (t) => t === "flows" })).toThrow(ApiError);
    expect(() => pickTable({ sinceMs: NOW - 7 * D, untilMs: NOW, nowMs: NOW, stepS: 1, fits: all })).toThrow(
      new RegExp(`at most ${MAX_POINTS}`),
    );
    expect(() => pickTable({ sinceMs: NOW - H, untilMs: NOW, nowMs: NOW, fits: () => false })).toThrow(/no table holds/);
  });
});
