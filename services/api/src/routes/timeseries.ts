// GET /api/v1/timeseries: one metric per step over the range, optionally per group (top-N series + other),
// from the coarsest table that fits; buckets with no rows are zeros (filled here: 18.16 has no WITH FILL).
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { seriesSql, totalsSql } from "../agg/agg-sql.js";
import type { Dimension } from "../agg/dimensions.js";
import { aggRange, filterSql, fitsTable, parseDimensions, requestFilter } from "../agg/request.js";
import { type AggDeps, iso, MAX_AGG_ROWS, num } from "../agg/route-deps.js";
import { TimeseriesQuerySchema, TimeseriesResponseSchema } from "../agg/schemas.js";
import { pickTable } from "../agg/table-picker.js";
import { ApiError } from "../errors.js";
import { errorResponses } from "../schemas.js";

const OWN = new Set(Object.keys(TimeseriesQuerySchema.shape));
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** step= as seconds: "300", "30s", "5m", "1h", "1d". */
export function parseStep(text: string): number {
  const m = /^(\d{1,7})([smhd]?)$/.exec(text.trim());
  const s = m ? Number(m[1]) * UNITS[m[2] || "s"] : 0;
  if (!m || s < 1 || s > 400 * 86_400)
    throw new ApiError("bad_request", `step: "${text.slice(0, 16)}" is not a duration from 1s to 400d (30s, 5m, 1h, 1d)`);
  return s;
}

const route = createRoute({
  method: "get",
  path: "/api/v1/timeseries",
  summary: "A metric over time (flows, connections, packets, bytes, drops), optionally grouped: top-N series + other",
  request: { query: TimeseriesQuerySchema },
  responses: {
    200: { description: "the series", content: { "application/json": { schema: TimeseriesResponseSchema } } },
    ...errorResponses,
  },
});

export function registerTimeseries(app: OpenAPIHono, d: AggDeps): void {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const now = d.clock();
    const range = aggRange(q.since, q.until, now);
    const dims: Dimension[] = parseDimensions(q.group_by, "group_by", 0);
    const expr = requestFilter(d.filters, q.filter, c.req.queries(), OWN);
    const pick = pickTable({
      ...range,
      nowMs: now.getTime(),
      stepS: q.step === undefined ? undefined : parseStep(q.step),
      points: q.points,
      fits: fitsTable(d.filters, dims, expr),
      tables: d.tables,
    });
    if (dims.length > 0 && pick.points * q.limit > MAX_AGG_ROWS)
      throw new ApiError(
        "bad_request",
        `${pick.points} points × ${q.limit} series is over ${MAX_AGG_ROWS} values: raise step or lower limit`,
      );
    const src = {
      database: d.store.database,
      table: pick.table,
      sinceS: pick.sinceS,
      untilS: pick.untilS,
      filter: filterSql(d.filters, expr, pick.table),
    };
    const timestamps = Array.from({ length: pick.points }, (_, i) => pick.sinceS + i * pick.stepS);
    const scale = q.per_second === "true" ? pick.stepS : 1;
    const fill = (rows: Record<string, unknown>[]) => {
      const values = new Array<number>(pick.points).fill(0);
      for (const r of rows) {
        const i = (num(r.t) - pick.sinceS) / pick.stepS;
        if (i >= 0 && i < pick.points) values[i] += num(r.v);
      }
      return values;
    };
    const total = fill(await d.store.aggregate(seriesSql(src, pick.stepS, q.metric, []), MAX_AGG_ROWS));
    let series: { key: Record<string, string | number>; values: number[] }[] = [];
    let other: number[] | null = null;
    let limitReached = false;
    if (dims.length > 0) {
      // the groups with the largest totals over the whole range, one past the limit to know if there are more
      const top = await d.store.aggregate(totalsSql(src, dims, [q.metric], q.limit + 1), q.limit + 1);
      limitReached = top.length > q.limit;
      const keys = top.slice(0, q.limit).map((r) => dims.map((k) => r[k] as string | number));
      const rows = keys.length > 0 ? await d.store.aggregate(seriesSql(src, pick.stepS, q.metric, dims, keys), MAX_AGG_ROWS) : [];
      const byKey = new Map<string, Record<string, unknown>[]>(keys.map((k) => [JSON.stringify(k), []]));
      for (const r of rows) byKey.get(JSON.stringify(dims.map((k) => r[k])))?.push(r);
      series = keys.map((k) => ({
        key: Object.fromEntries(dims.map((name, i) => [name, k[i]])),
        values: fill(byKey.get(JSON.stringify(k)) ?? []),
      }));
      // sums of every metric: what the top series do not hold is the rest
      other = total.map((v, i) => v - series.reduce((a, s) => a + s.values[i], 0));
    }
    const per = (v: number[]) => (scale === 1 ? v : v.map((x) => x / scale));
    return c.json(
      {
        table: pick.table,
        step: pick.stepS,
        since: iso(pick.sinceS),
        until: iso(pick.untilS),
        reason: pick.reason,
        limitReached,
        metric: q.metric,
        timestamps,
        total: per(total),
        series: series.map((s) => ({ key: s.key, values: per(s.values) })),
        other: other && per(other),
      },
      200,
    );
  });
}
