// Request and response schemas of the aggregation routes (zod → validation and OpenAPI).
import { z } from "@hono/zod-openapi";
import { MAX_FILTER_CHARS } from "../schemas.js";
import { DIMENSIONS, METRICS } from "./dimensions.js";
import { MAX_POINTS } from "./table-picker.js";

const timeParam = (what: string) =>
  z
    .string()
    .max(64)
    .optional()
    .openapi({ description: `${what}: RFC 3339, unix seconds, or a duration before now (15m, 2h, 7d)` });

const common = {
  since: timeParam("start of the range (default: 1h before until)"),
  until: timeParam("end of the range (default: now)"),
  filter: z.string().max(MAX_FILTER_CHARS).optional().openapi({ description: "filter expression; Hubble observe parameters work too" }),
  metric: z.enum(METRICS).default("flows"),
};
const dims = (what: string) =>
  z
    .string()
    .max(256)
    .optional()
    .openapi({ description: `${what}: comma-separated, of ${DIMENSIONS.join(" ")}` });

export const TimeseriesQuerySchema = z.object({
  ...common,
  step: z
    .string()
    .max(16)
    .optional()
    .openapi({ description: "bucket width: seconds or a duration (30s, 5m, 1h, 1d); rounded up to the table's resolution" }),
  points: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_POINTS)
    .optional()
    .openapi({ description: `buckets wanted when step is not given (default 120, at most ${MAX_POINTS})` }),
  group_by: dims("up to 3 dimensions"),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(10)
    .openapi({ description: "series kept (largest first); the rest sum into other" }),
  per_second: z.enum(["true", "false"]).default("false").openapi({ description: "values per second instead of per step" }),
});

export const TopQuerySchema = z.object({
  ...common,
  by: dims("1 to 3 dimensions (required)"),
  limit: z.coerce.number().int().min(1).max(1000).default(10),
});

export const GraphQuerySchema = z.object({
  since: common.since,
  until: common.until,
  filter: common.filter,
  level: z.enum(["namespace", "workload", "pod"]).default("workload"),
  limit: z.coerce.number().int().min(1).max(5000).default(500).openapi({ description: "edges kept (most flows first)" }),
});

const plan = {
  table: z.string().openapi({ description: "the table read" }),
  step: z.number().openapi({ description: "seconds per bucket (for totals: the whole range)" }),
  since: z.string(),
  until: z.string(),
  reason: z.string(),
  limitReached: z.boolean(),
};

export const TimeseriesResponseSchema = z
  .object({
    ...plan,
    metric: z.string(),
    timestamps: z.array(z.number()).openapi({ description: "bucket starts, unix seconds" }),
    total: z.array(z.number()),
    series: z.array(z.object({ key: z.record(z.string(), z.union([z.string(), z.number()])), values: z.array(z.number()) })),
    other: z.array(z.number()).nullable(),
  })
  .openapi("Timeseries");

export const TopResponseSchema = z
  .object({
    ...plan,
    metric: z.string(),
    total: z.number(),
    rows: z.array(z.record(z.string(), z.union([z.string(), z.number()]))),
    other: z.number(),
  })
  .openapi("Top");

export const GraphResponseSchema = z
  .object({
    ...plan,
    level: z.string(),
    nodes: z.array(
      z.object({
        id: z.string(),
        namespace: z.string(),
        name: z.string(),
        kind: z.enum(["pod", "workload", "namespace", "world", "host", "cidr"]),
      }),
    ),
    edges: z.array(
      z.object({
        source: z.string(),
        destination: z.string(),
        ports: z.array(z.object({ port: z.number(), protocol: z.string() })),
        verdicts: z.record(z.string(), z.number()),
        flows: z.number(),
        connections: z.number(),
        bytes: z.number(),
      }),
    ),
  })
  .openapi("Graph");
