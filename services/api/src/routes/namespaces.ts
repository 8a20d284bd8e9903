// GET /api/v1/namespaces: the namespaces seen in the range, with the flows that touch each (as source, as
// destination, either), from `flows FINAL`. (flows_minute has both namespaces and could serve long ranges.)
import { qualified, sql } from "@flowlens/clickhouse";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { errorResponses } from "../schemas.js";
import { capped, num, RAW_TABLE, RangeSchema, type RouteDeps, rangeFilterParams, scopeOf, topParam } from "./analytics.js";

const Query = z.object({
  ...rangeFilterParams,
  limit: topParam("namespaces, by name", 1000),
});

const Response = z
  .object({
    table: z.string(),
    range: RangeSchema,
    namespaces: z.array(z.object({ namespace: z.string(), flows: z.number(), as_source: z.number(), as_destination: z.number() })),
    limitReached: z.boolean(),
  })
  .openapi("Namespaces");

export function registerNamespacesRoute(app: OpenAPIHono, d: RouteDeps): void {
  const route = createRoute({
    method: "get",
    path: "/api/v1/namespaces",
    summary: "Namespaces seen in the range with their flow counts",
    request: { query: Query },
    responses: { 200: { description: "namespaces", content: { "application/json": { schema: Response } } }, ...errorResponses },
  });
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const { where, range } = scopeOf(d, c, q, Object.keys(Query.shape));
    const table = qualified(d.store.database, RAW_TABLE);
    // a flow inside one namespace counts once for it; one across two, once for each ("" = host/world: skipped)
    const rows = await d.store.aggregateRows(
      "namespaces",
      sql`SELECT ns AS namespace, count() AS flows, countIf(src_namespace = ns) AS as_source, countIf(dst_namespace = ns) AS as_destination FROM ${table} FINAL ARRAY JOIN if(src_namespace = dst_namespace, [src_namespace], [src_namespace, dst_namespace]) AS ns WHERE ${where} AND ns != '' GROUP BY ns ORDER BY ns LIMIT ${q.limit + 1}`,
    );
    const r = capped(rows, q.limit);
    return c.json(
      {
        table: RAW_TABLE,
        range,
        namespaces: r.rows.map((x) => ({
          namespace: String(x.namespace),
          flows: num(x.flows),
          as_source: num(x.as_source),
          as_destination: num(x.as_destination),
        })),
        limitReached: r.limitReached,
      },
      200,
    );
  });
}
