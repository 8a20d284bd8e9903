// GET /api/v1/top: the top-N groups of 1-3 dimensions by a metric over the range, each with its share.
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { totalsSql } from "../agg/agg-sql.js";
import { aggRange, filterSql, fitsTable, parseDimensions, requestFilter } from "../agg/request.js";
import { type AggDeps, iso, num } from "../agg/route-deps.js";
import { TopQuerySchema, TopResponseSchema } from "../agg/schemas.js";
import { pickTable } from "../agg/table-picker.js";
import { errorResponses } from "../schemas.js";

const OWN = new Set(Object.keys(TopQuerySchema.shape));

const route = createRoute({
  method: "get",
  path: "/api/v1/top",
  summary: "Top-N groups of one to three dimensions by a metric, with shares of the total",
  request: { query: TopQuerySchema },
  responses: { 200: { description: "the top groups", content: { "application/json": { schema: TopResponseSchema } } }, ...errorResponses },
});

export function registerTop(app: OpenAPIHono, d: AggDeps): void {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const now = d.clock();
    const range = aggRange(q.since, q.until, now);
    const dims = parseDimensions(q.by, "by", 1);
    const expr = requestFilter(d.filters, q.filter, c.req.queries(), OWN);
    const pick = pickTable({ ...range, nowMs: now.getTime(), totals: true, fits: fitsTable(d.filters, dims, expr), tables: d.tables });
    const src = {
      database: d.store.database,
      table: pick.table,
      sinceS: pick.sinceS,
      untilS: pick.untilS,
      filter: filterSql(d.filters, expr, pick.table),
    };
    const m = `m_${q.metric}`;
    const [all] = await d.store.aggregate(totalsSql(src, [], [q.metric], 1), 1);
    const top = await d.store.aggregate(totalsSql(src, dims, [q.metric], q.limit + 1), q.limit + 1);
    const total = num(all?.[m]);
    const rows = top.slice(0, q.limit).map((r) => {
      const value = num(r[m]);
      const key = Object.fromEntries(dims.map((k) => [k, r[k] as string | number]));
      return { ...key, value, share: total > 0 ? value / total : 0 };
    });
    return c.json(
      {
        table: pick.table,
        step: pick.stepS,
        since: iso(pick.sinceS),
        until: iso(pick.untilS),
        reason: pick.reason,
        limitReached: top.length > q.limit,
        metric: q.metric,
        total,
        rows,
        other: total - rows.reduce((a, r) => a + r.value, 0),
      },
      200,
    );
  });
}
