// GET /api/v1/http: HTTP requests, 4xx/5xx ratios and latency quantiles by workload|method|code, and the
// URLs that fail most, from the L7 response flows in `flows FINAL` (flows_minute has no L7 columns).
import { joinSql, qualified, Sql, sql } from "@flowlens/clickhouse";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { errorResponses } from "../schemas.js";
import { capped, num, RAW_TABLE, RangeSchema, type RouteDeps, rangeFilterParams, scopeOf, topParam } from "./analytics.js";
import { parseGroupBy } from "./group-by.js";

const DIMENSIONS = ["workload", "method", "code"] as const;
type Dim = (typeof DIMENSIONS)[number];

// A response flow is a reply: its source is the server (Hubble's orientation), so is_reply picks the server side.
const KEY_SQL: Record<Dim, string> = {
  workload: "if(is_reply = 1, src_namespace, dst_namespace) AS namespace, if(is_reply = 1, src_workload, dst_workload) AS workload",
  method: "upper(http_method) AS method",
  code: "http_code AS code",
};
const KEY_NAMES: Record<Dim, string[]> = { workload: ["namespace", "workload"], method: ["method"], code: ["code"] };

const RESPONSES = new Sql("l7_type = 'RESPONSE' AND (http_method != '' OR http_code != 0 OR http_url != '')");
// quantiles of no rows are NaN, which JSON cannot carry: 0 there, and `timed` = 0 says there were none
const STATS = new Sql(`count() AS requests,
  countIf(http_code >= 400 AND http_code < 500) AS errors_4xx,
  countIf(http_code >= 500) AS errors_5xx,
  countIf(l7_latency_ns > 0) AS timed,
  arrayMap(x -> if(isNaN(x), 0, toFloat64(x)), quantilesIf(0.5, 0.95, 0.99)(l7_latency_ns, l7_latency_ns > 0)) AS latency_ns`);

const Query = z.object({
  ...rangeFilterParams,
  group_by: z
    .string()
    .max(64)
    .optional()
    .openapi({ description: `comma-separated, up to 3 of ${DIMENSIONS.join(", ")} (default workload; workload = the server's)` }),
  top: topParam("groups, most requests first", 10),
  urls: topParam("top failing URLs (code ≥ 400)", 10),
});

const Stats = z.object({
  requests: z.number(),
  errors_4xx: z.number(),
  errors_5xx: z.number(),
  error_ratio_4xx: z.number(),
  error_ratio_5xx: z.number(),
  latency_ms: z.object({ p50: z.number(), p95: z.number(), p99: z.number() }).nullable(),
});

const Response = z
  .object({
    table: z.string(),
    range: RangeSchema,
    group_by: z.array(z.string()),
    totals: Stats,
    groups: z.array(z.object({ key: z.record(z.string(), z.union([z.string(), z.number()])) }).and(Stats)),
    failing_urls: z.array(z.object({ url: z.string(), errors: z.number(), errors_4xx: z.number(), errors_5xx: z.number() })),
    limitReached: z.boolean().openapi({ description: "more groups or failing URLs than top/urls" }),
  })
  .openapi("HttpStats");

function stats(r: Record<string, unknown>) {
  const requests = num(r.requests);
  const e4 = num(r.errors_4xx);
  const e5 = num(r.errors_5xx);
  const q = (r.latency_ns as unknown[]).map((x) => num(x) / 1e6);
  return {
    requests,
    errors_4xx: e4,
    errors_5xx: e5,
    error_ratio_4xx: requests ? e4 / requests : 0,
    error_ratio_5xx: requests ? e5 / requests : 0,
    latency_ms: num(r.timed) > 0 ? { p50: q[0], p95: q[1], p99: q[2] } : null,
  };
}

export function registerHttpRoute(app: OpenAPIHono, d: RouteDeps): void {
  const route = createRoute({
    method: "get",
    path: "/api/v1/http",
    summary: "HTTP: requests (counted by their responses), 4xx and 5xx ratios, latency p50/p95/p99, failing URLs",
    request: { query: Query },
    responses: { 200: { description: "HTTP statistics", content: { "application/json": { schema: Response } } }, ...errorResponses },
  });
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const dims = parseGroupBy(q.group_by, DIMENSIONS, ["workload"]);
    const { where, range } = scopeOf(d, c, q, Object.keys(Query.shape));
    const table = qualified(d.store.database, RAW_TABLE);
    const keys = new Sql(dims.map((k) => KEY_SQL[k]).join(", "));
    const names = new Sql(dims.flatMap((k) => KEY_NAMES[k]).join(", "));
    const base = joinSql([where, RESPONSES], " AND ");
    const [totals, groups, urls] = await Promise.all([
      d.store.aggregateRows("http", sql`SELECT ${STATS} FROM ${table} FINAL WHERE ${base}`),
      d.store.aggregateRows(
        "http",
        sql`SELECT ${keys}, ${STATS} FROM ${table} FINAL WHERE ${base} GROUP BY ${names} ORDER BY requests DESC, ${names} LIMIT ${q.top + 1}`,
      ),
      d.store.aggregateRows(
        "http",
        sql`SELECT http_url AS url, count() AS errors, countIf(http_code < 500) AS errors_4xx, countIf(http_code >= 500) AS errors_5xx FROM ${table} FINAL WHERE ${base} AND http_code >= 400 GROUP BY url ORDER BY errors DESC, url LIMIT ${q.urls + 1}`,
      ),
    ]);
    const g = capped(groups, q.top);
    const u = capped(urls, q.urls);
    return c.json(
      {
        table: RAW_TABLE,
        range,
        group_by: dims,
        totals: stats(totals[0] ?? { latency_ns: [0, 0, 0] }),
        groups: g.rows.map((r) => ({
          key: Object.fromEntries(dims.flatMap((k) => KEY_NAMES[k]).map((n) => [n, n === "code" ? num(r[n]) : String(r[n])])),
          ...stats(r),
        })),
        failing_urls: u.rows.map((r) => ({
          url: String(r.url),
          errors: num(r.errors),
          errors_4xx: num(r.errors_4xx),
          errors_5xx: num(r.errors_5xx),
        })),
        limitReached: g.limitReached || u.limitReached,
      },
      200,
    );
  });
}
