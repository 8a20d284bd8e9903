// GET /api/v1/values/{field}: autocomplete — the distinct values of one catalog field in the range, most
// frequent first, optionally starting with prefix= (case-sensitive), from `flows FINAL`.
import { joinSql, qualified, Sql, sql } from "@flowlens/clickhouse";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { ApiError } from "../errors.js";
import { errorResponses } from "../schemas.js";
import { capped, num, RAW_TABLE, RangeSchema, type RouteDeps, rangeFilterParams, scopeOf, topParam } from "./analytics.js";

const MAX_PREFIX = 256;

const Params = z.object({
  field: z
    .string()
    .max(64)
    .openapi({
      param: { name: "field", in: "path" },
      example: "source_namespace",
      description: "a catalog field or either-side shorthand",
    }),
});
const Query = z.object({
  ...rangeFilterParams,
  prefix: z.string().max(MAX_PREFIX).optional().openapi({ description: "only values that start with this (case-sensitive)" }),
  limit: topParam("values, most flows first", 20),
});

const Response = z
  .object({
    table: z.string(),
    range: RangeSchema,
    field: z.string(),
    values: z.array(z.object({ value: z.string(), flows: z.number() })),
    limitReached: z.boolean(),
  })
  .openapi("FieldValues");

export function registerValuesRoute(app: OpenAPIHono, d: RouteDeps): void {
  const route = createRoute({
    method: "get",
    path: "/api/v1/values/{field}",
    summary: "Distinct values of a filter field (autocomplete), most frequent first",
    request: { params: Params, query: Query },
    responses: { 200: { description: "values", content: { "application/json": { schema: Response } } }, ...errorResponses },
  });
  app.openapi(route, async (c) => {
    const { field } = c.req.valid("param");
    const q = c.req.valid("query");
    const src = d.filters.valueSource(field);
    if (!src)
      throw new ApiError(
        "bad_request",
        `field: ${JSON.stringify(field)} has no value list (one of ${d.filters.listableFields().join(", ")})`,
      );
    const { where, range } = scopeOf(d, c, q, Object.keys(Query.shape));
    const table = qualified(d.store.database, RAW_TABLE);
    // catalog expressions (constants), never input; toString so numbers and names list alike
    const [a, b] = src.expressions.map((e) => `toString(${e})`);
    // either-side fields: a flow within one value counts once for it
    const values = new Sql(b === undefined ? `[${a}]` : `if(${a} = ${b}, [${a}], [${a}, ${b}])`);
    const inner = src.present ? joinSql([where, new Sql(src.present)], " AND ") : where;
    // a prefix test without LIKE (no wildcards to escape): the first bytes equal the prefix
    const prefix = q.prefix ? sql` AND substring(value, 1, ${Buffer.byteLength(q.prefix)}) = ${q.prefix}` : new Sql("");
    const rows = await d.store.aggregateRows(
      "values",
      sql`SELECT value, count() AS flows FROM ${table} FINAL ARRAY JOIN ${values} AS value WHERE ${inner} AND value != ''${prefix} GROUP BY value ORDER BY flows DESC, value LIMIT ${q.limit + 1}`,
    );
    const r = capped(rows, q.limit);
    return c.json(
      {
        table: RAW_TABLE,
        range,
        field: src.field,
        values: r.rows.map((x) => ({ value: String(x.value), flows: num(x.flows) })),
        limitReached: r.limitReached,
      },
      200,
    );
  });
}
