// POST /api/v1/filter/validate: parse a filter and answer the fields it reads and the SQL it compiles to,
// or a 400 with the position of the problem (the same error /flows gives).
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { ApiError } from "../errors.js";
import { errorResponses, MAX_FILTER_CHARS } from "../schemas.js";
import type { RouteDeps } from "./analytics.js";

const Body = z
  .object({ filter: z.string().max(MAX_FILTER_CHARS).openapi({ example: "namespace = shop AND verdict = DROPPED" }) })
  .openapi("FilterValidateRequest");

const Response = z
  .object({
    ok: z.literal(true),
    fields: z.array(z.string()).openapi({ description: "catalog fields the filter reads" }),
    sql: z.string().openapi({ description: "the WHERE fragment over flowlens.flows ('' for an empty filter)" }),
  })
  .openapi("FilterValidateResult");

export function registerFilterValidateRoute(app: OpenAPIHono, d: Pick<RouteDeps, "filters">): void {
  const route = createRoute({
    method: "post",
    path: "/api/v1/filter/validate",
    summary: "Check a filter expression: the fields it reads and its SQL, or a positioned 400",
    request: { body: { content: { "application/json": { schema: Body } }, required: true } },
    responses: { 200: { description: "a valid filter", content: { "application/json": { schema: Response } } }, ...errorResponses },
  });
  app.openapi(route, async (c) => {
    const { filter } = c.req.valid("json");
    if (!filter.trim()) return c.json({ ok: true as const, fields: [], sql: "" }, 200);
    let expr: unknown;
    try {
      expr = d.filters.parseFilter(filter);
    } catch (e) {
      if (e instanceof d.filters.FilterSyntaxError) throw new ApiError("bad_request", `filter: ${e.message}`, { position: e.position });
      throw e;
    }
    // compiling can refuse too (a filter that makes too much SQL): same 400
    let text: string;
    try {
      text = d.filters.exprToSql(expr).text;
    } catch (e) {
      if (e instanceof d.filters.FilterSyntaxError) throw new ApiError("bad_request", `filter: ${e.message}`, { position: e.position });
      throw new ApiError("bad_request", `filter: ${(e as Error).message.split("\n")[0]}`);
    }
    return c.json({ ok: true as const, fields: d.filters.fieldsOf(expr), sql: text }, 200);
  });
}
