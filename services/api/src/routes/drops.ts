// GET /api/v1/drops: dropped flows by reason, by source → destination pair, by destination port, from
// `flows FINAL`. (Pairs and ports could come from flows_minute's drops; reasons are only in the raw table.)
import { joinSql, qualified, Sql, sql } from "@flowlens/clickhouse";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { errorResponses } from "../schemas.js";
import { capped, num, RAW_TABLE, RangeSchema, type RouteDeps, rangeFilterParams, scopeOf, topParam } from "./analytics.js";

const DROPPED = new Sql("verdict = 'DROPPED'");

const Query = z.object({
  ...rangeFilterParams,
  top: topParam("rows of each list, most drops first", 10),
});

const Response = z
  .object({
    table: z.string(),
    range: RangeSchema,
    drops: z.number(),
    by_reason: z.array(z.object({ reason: z.string(), drops: z.number() })),
    by_pair: z.array(
      z.object({
        source_namespace: z.string(),
        source_pod: z.string(),
        destination_namespace: z.string(),
        destination_pod: z.string(),
        drops: z.number(),
      }),
    ),
    by_port: z.array(z.object({ protocol: z.string(), port: z.number(), drops: z.number() })),
    limitReached: z.boolean().openapi({ description: "some list had more rows than top" }),
  })
  .openapi("DropStats");

export function registerDropsRoute(app: OpenAPIHono, d: RouteDeps): void {
  const route = createRoute({
    method: "get",
    path: "/api/v1/drops",
    summary: "Dropped flows by reason, by source → destination pair, by destination port",
    request: { query: Query },
    responses: { 200: { description: "drop statistics", content: { "application/json": { schema: Response } } }, ...errorResponses },
  });
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const { where, range } = scopeOf(d, c, q, Object.keys(Query.shape));
    const table = qualified(d.store.database, RAW_TABLE);
    const base = joinSql([where, DROPPED], " AND ");
    const top = q.top + 1;
    const [total, reasons, pairs, ports] = await Promise.all([
      d.store.aggregateRows("drops", sql`SELECT count() AS drops FROM ${table} FINAL WHERE ${base}`),
      d.store.aggregateRows(
        "drops",
        sql`SELECT drop_reason AS reason, count() AS drops FROM ${table} FINAL WHERE ${base} GROUP BY reason ORDER BY drops DESC, reason LIMIT ${top}`,
      ),
      d.store.aggregateRows(
        "drops",
        sql`SELECT src_namespace AS source_namespace, src_pod AS source_pod, dst_namespace AS destination_namespace, dst_pod AS destination_pod, count() AS drops FROM ${table} FINAL WHERE ${base} GROUP BY source_namespace, source_pod, destination_namespace, destination_pod ORDER BY drops DESC, source_namespace, source_pod, destination_namespace, destination_pod LIMIT ${top}`,
      ),
      // ICMP flows have no port: they are listed with port 0 under their protocol
      d.store.aggregateRows(
        "drops",
        sql`SELECT protocol, dst_port AS port, count() AS drops FROM ${table} FINAL WHERE ${base} GROUP BY protocol, port ORDER BY drops DESC, protocol, port LIMIT ${top}`,
      ),
    ]);
    const r = capped(reasons, q.top);
    const p = capped(pairs, q.top);
    const o = capped(ports, q.top);
    return c.json(
      {
        table: RAW_TABLE,
        range,
        drops: num(total[0]?.drops),
        by_reason: r.rows.map((x) => ({ reason: String(x.reason), drops: num(x.drops) })),
        by_pair: p.rows.map((x) => ({
          source_namespace: String(x.source_namespace),
          source_pod: String(x.source_pod),
          destination_namespace: String(x.destination_namespace),
          destination_pod: String(x.destination_pod),
          drops: num(x.drops),
        })),
        by_port: o.rows.map((x) => ({ protocol: String(x.protocol), port: num(x.port), drops: num(x.drops) })),
        limitReached: r.limitReached || p.limitReached || o.limitReached,
      },
      200,
    );
  });
}
