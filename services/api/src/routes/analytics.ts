// What the analytics routes (/http, /dns, /drops, /namespaces, /values) share: their dependencies, the time
// range + filter (expression and Hubble parameters, ANDed) as one WHERE over `flows`, and small helpers.

import type { Sql } from "@flowlens/clickhouse";
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ApiError } from "../errors.js";
import type { FilterCompiler, FilterExpr } from "../filter-compiler.js";
import { flowsWhere } from "../flows-sql.js";
import { MAX_FILTER_CHARS } from "../schemas.js";
import type { ApiStore } from "../store.js";
import { parseTimeRange } from "../time-range.js";

export interface RouteDeps {
  store: ApiStore;
  filters: FilterCompiler;
  clock: () => Date;
  /** longest since..until over raw flows, ms */
  maxRangeMs: number;
}

export const MAX_TOP = 1000;
/** These routes read raw flows: `flows FINAL` (a replayed flow counts once). */
export const RAW_TABLE = "flows";

const timeParam = (what: string) =>
  z
    .string()
    .max(64)
    .optional()
    .openapi({ description: `${what}: RFC 3339, unix seconds, or a duration before now (15m, 2h, 7d)` });

/** since/until/filter, the parameters every analytics route takes (any other name is a Hubble parameter). */
export const rangeFilterParams = {
  since: timeParam("start of the range (default: 1h before until)"),
  until: timeParam("end of the range (default: now)"),
  filter: z
    .string()
    .max(MAX_FILTER_CHARS)
    .optional()
    .openapi({ description: "filter expression, e.g. namespace = shop AND verdict = DROPPED" }),
};

export const topParam = (what: string, dflt = 10) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_TOP)
    .default(dflt)
    .openapi({ description: `${what}, 1-${MAX_TOP}` });

/** The range and filter of a request, the response's `range`, and the WHERE over `flows` they make. */
export interface Scope {
  where: Sql;
  range: { since: string; until: string };
}

function parsed(filters: FilterCompiler, what: string, run: () => FilterExpr | undefined): FilterExpr | undefined {
  try {
    return run();
  } catch (e) {
    if (e instanceof filters.FilterSyntaxError) throw new ApiError("bad_request", `${what}: ${e.message}`, { position: e.position });
    throw e;
  }
}

/** `own` are the route's parameter names; every other query parameter is read as a Hubble observe parameter. */
export function scopeOf(d: RouteDeps, c: Context, q: { since?: string; until?: string; filter?: string }, own: readonly string[]): Scope {
  const r = parseTimeRange(q.since, q.until, d.clock(), 3_600_000, d.maxRangeMs);
  const hubble: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(c.req.queries())) if (!own.includes(k)) hubble[k] = v;
  const text = parsed(d.filters, "filter", () => (q.filter?.trim() ? d.filters.parseFilter(q.filter) : undefined));
  const params = parsed(d.filters, "parameter", () => (Object.keys(hubble).length > 0 ? d.filters.hubbleParamsToExpr(hubble) : undefined));
  const expr = d.filters.andExprs(text, params);
  const filter = expr === undefined ? undefined : d.filters.exprToSql(expr);
  return {
    where: flowsWhere({ sinceMs: r.sinceMs, untilMs: r.untilMs, filter, order: "newest" }),
    range: { since: new Date(r.sinceMs).toISOString(), until: new Date(r.untilMs).toISOString() },
  };
}

/** ClickHouse's JSON prints 64-bit integers as strings. */
export const num = (v: unknown): number => Number(v ?? 0);

/** Rows of a top-N query that asked for n + 1: the first n and whether there were more. */
export function capped<T>(rows: T[], n: number): { rows: T[]; limitReached: boolean } {
  return { rows: rows.slice(0, n), limitReached: rows.length > n };
}

export const RangeSchema = z.object({ since: z.string(), until: z.string() });
