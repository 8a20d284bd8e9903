// Request and response schemas of every route (zod): they validate requests and generate the OpenAPI document.
import { z } from "@hono/zod-openapi";

export const MAX_LIMIT = 10_000;
export const MAX_FILTER_CHARS = 4096;

export const ErrorSchema = z
  .object({
    error: z.string().openapi({ example: "bad_request" }),
    detail: z.string().openapi({ example: 'filter: unknown field "pood" at 1:1' }),
    position: z.object({ offset: z.number(), line: z.number().optional(), column: z.number().optional() }).optional(),
  })
  .openapi("Error");

const timeParam = (what: string) =>
  z
    .string()
    .max(64)
    .optional()
    .openapi({ description: `${what}: RFC 3339, unix seconds, or a duration before now (15m, 2h, 7d)` });

export const FlowsQuerySchema = z.object({
  since: timeParam("start of the range (default: 1h before until)"),
  until: timeParam("end of the range (default: now)"),
  filter: z
    .string()
    .max(MAX_FILTER_CHARS)
    .optional()
    .openapi({ description: "filter expression, e.g. verdict = DROPPED AND namespace = shop" }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .default(100)
    .openapi({ description: `flows per page, 1-${MAX_LIMIT}` }),
  order: z.enum(["newest", "oldest"]).default("newest"),
  cursor: z.string().max(512).optional().openapi({ description: "the `next` token of the previous page" }),
  fields: z
    .string()
    .max(2048)
    .optional()
    .openapi({ description: "comma-separated Flow fields to keep (proto names: time,verdict,source,…)" }),
  extensions: z
    .enum(["true", "false"])
    .default("false")
    .openapi({ description: "keep Flowlens' FlowExtension (counters, process) in flow.extensions; Hubble clients cannot read it" }),
  format: z.enum(["json", "ndjson"]).default("json").openapi({ description: "json: {flows, next}; ndjson: one GetFlowsResponse per line" }),
});

export const FlowsResponseSchema = z
  .object({
    flows: z.array(z.record(z.string(), z.unknown())).openapi({ description: "Hubble jsonpb Flow objects" }),
    next: z.string().nullable().openapi({ description: "cursor of the next page; null on the last one" }),
    table: z.string(),
  })
  .openapi("FlowsPage");

export const SqlRequestSchema = z
  .object({
    query: z.string().min(1).max(65_536).openapi({ example: "SELECT verdict, count() AS n FROM flowlens.flows_dedup GROUP BY verdict" }),
    max_rows: z.number().int().min(1).max(MAX_LIMIT).optional(),
  })
  .openapi("SqlRequest");

export const SqlResponseSchema = z
  .object({
    rows: z.array(z.record(z.string(), z.unknown())),
    meta: z.array(z.object({ name: z.string(), type: z.string() })),
    rowCount: z.number(),
    limitReached: z.boolean(),
  })
  .openapi("SqlResult");

export const StatusSchema = z
  .object({
    clickhouse: z.object({ version: z.string(), database: z.string() }),
    tables: z.array(
      z.object({ table: z.string(), rows: z.number(), bytes: z.number(), oldest: z.string().nullable(), newest: z.string().nullable() }),
    ),
  })
  .openapi("Status");

export const errorResponses = {
  400: { description: "bad parameter or filter", content: { "application/json": { schema: ErrorSchema } } },
  401: { description: "no bearer token", content: { "application/json": { schema: ErrorSchema } } },
  403: { description: "unknown bearer token", content: { "application/json": { schema: ErrorSchema } } },
  502: { description: "ClickHouse down or refused the query", content: { "application/json": { schema: ErrorSchema } } },
  504: { description: "ClickHouse timed out", content: { "application/json": { schema: ErrorSchema } } },
};
