// createApi: the Hono app of flowlens-api, built from its dependencies (store, filter compiler, clock, auth).
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { defaultTables, type TableInfo } from "./agg/table-picker.js";
import { tokenChecker } from "./auth.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import { ApiError } from "./errors.js";
import type { FilterCompiler, FilterExpr } from "./filter-compiler.js";
import { decodeFlow, flowJson, flowNdjsonLine, parseFieldMask } from "./flow-json.js";
import { flowsWhere } from "./flows-sql.js";
import type { ApiMetrics } from "./metrics.js";
import { registerDnsRoute } from "./routes/dns.js";
import { registerDropsRoute } from "./routes/drops.js";
import { registerFilterValidateRoute } from "./routes/filter-validate.js";
import { registerGraph } from "./routes/graph.js";
import { registerHttpRoute } from "./routes/http.js";
import { registerNamespacesRoute } from "./routes/namespaces.js";
import { registerTimeseries } from "./routes/timeseries.js";
import { registerTop } from "./routes/top.js";
import { registerValuesRoute } from "./routes/values.js";
import {
  ErrorSchema,
  errorResponses,
  FlowsQuerySchema,
  FlowsResponseSchema,
  MAX_LIMIT,
  SqlRequestSchema,
  SqlResponseSchema,
  StatusSchema,
} from "./schemas.js";
import { checkReadOnlySql } from "./sql-guard.js";
import type { ApiStore } from "./store.js";
import { parseTimeRange } from "./time-range.js";

export const MAX_BODY_BYTES = 1024 * 1024;
// /flows parameters that are not Hubble filter names
const FLOWS_PARAMS = new Set(Object.keys(FlowsQuerySchema.shape));

export interface ApiOptions {
  store: ApiStore;
  filters: FilterCompiler;
  metrics: ApiMetrics;
  clock?: () => Date;
  /** bearer tokens; undefined = no auth (only allowed on loopback: config.ts checks) */
  tokens?: readonly string[];
  corsOrigin?: string;
  /** longest since..until of /flows, ms (default 7 days) */
  maxRangeMs?: number;
  /** cap of /sql result rows (default 10,000) */
  sqlMaxRows?: number;
  version?: string;
  /** tables the aggregation routes choose from, with their retention (default: the ingester's defaults) */
  tables?: TableInfo[];
}

function errorJson(c: Context, e: ApiError) {
  return c.json(e.body(), e.status);
}

/** A filter compiler error (positioned) as a 400; anything else passes through. */
function filterError(filters: FilterCompiler, what: string, e: unknown): unknown {
  if (e instanceof filters.FilterSyntaxError) return new ApiError("bad_request", `${what}: ${e.message}`, { position: e.position });
  return e;
}

export function createApi(o: ApiOptions): OpenAPIHono {
  const clock = o.clock ?? (() => new Date());
  const maxRangeMs = o.maxRangeMs ?? 7 * 86_400_000;
  const sqlMaxRows = o.sqlMaxRows ?? MAX_LIMIT;
  const checkToken = o.tokens ? tokenChecker(o.tokens) : undefined;
  const app = new OpenAPIHono({
    // every parameter is validated by its schema; a failure is a 400 naming the parameter
    defaultHook: (result, c) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        return c.json({ error: "bad_request", detail: `${issue.path.join(".") || "request"}: ${issue.message}` }, 400);
      }
    },
  });

  app.use("*", async (c, next) => {
    const start = performance.now();
    await next();
    const route = c.res.status === 404 && c.req.routePath === "*" ? "unmatched" : c.req.routePath;
    o.metrics.requests.inc({ route, code: String(c.res.status) });
    o.metrics.latency.observe({ route }, (performance.now() - start) / 1000);
  });
  if (o.corsOrigin)
    app.use("/api/*", cors({ origin: o.corsOrigin, allowHeaders: ["Authorization", "Content-Type"], exposeHeaders: ["Flowlens-Next"] }));
  app.use("/api/*", async (c, next) => {
    if (!checkToken || c.req.method === "OPTIONS") return next();
    const r = checkToken(c.req.header("authorization"));
    if (r === "missing") {
      c.header("WWW-Authenticate", 'Bearer realm="flowlens"');
      return errorJson(c, new ApiError("unauthorized", "send Authorization: Bearer <token> (a token from --tokens-file)"));
    }
    if (r === "wrong") return errorJson(c, new ApiError("forbidden", "the bearer token is not in --tokens-file"));
    return next();
  });
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => {
        // the rest of the body is never read: the connection cannot carry another request
        c.header("Connection", "close");
        return errorJson(c, new ApiError("payload_too_large", `request body over ${MAX_BODY_BYTES} bytes`));
      },
    }),
  );

  app.onError((e, c) => {
    if (e instanceof ApiError) return errorJson(c, e);
    // Hono's own 4xx (a body that is not JSON) keeps its status
    if (e instanceof HTTPException && e.status < 500) return c.json({ error: "bad_request", detail: e.message }, e.status);
    // never a stack trace: one line, and the status says it is ours
    return errorJson(c, new ApiError("internal", (e as Error)?.message?.split("\n")[0] ?? "unexpected error"));
  });
  app.notFound((c) => errorJson(c, new ApiError("not_found", `no route ${c.req.method} ${c.req.path}: see /api/v1/openapi.json`)));

  app.get("/healthz", async (c) => {
    const ok = await o.store.ping();
    return c.json({ status: ok ? "ok" : "clickhouse unreachable", clickhouse: ok }, ok ? 200 : 503);
  });
  app.get("/metrics", async (c) => c.text(await o.metrics.registry.metrics(), 200, { "content-type": o.metrics.registry.contentType }));

  const flowsRoute = createRoute({
    method: "get",
    path: "/api/v1/flows",
    summary: "Stored flows: time range, filter (expression and/or Hubble observe parameters), keyset pages",
    request: { query: FlowsQuerySchema },
    responses: {
      200: {
        description: "a page of flows",
        content: {
          "application/json": { schema: FlowsResponseSchema },
          "application/x-ndjson": { schema: z.string().openapi({ description: "one GetFlowsResponse JSON per line" }) },
        },
      },
      ...errorResponses,
      422: { description: "range too large", content: { "application/json": { schema: ErrorSchema } } },
    },
  });
  app.openapi(flowsRoute, async (c) => {
    const q = c.req.valid("query");
    const range = parseTimeRange(q.since, q.until, clock(), 3_600_000, maxRangeMs);
    const mask = parseFieldMask(q.fields);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    const hubble: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(c.req.queries())) if (!FLOWS_PARAMS.has(k)) hubble[k] = v;
    let text: FilterExpr | undefined;
    let params: FilterExpr | undefined;
    try {
      text = q.filter?.trim() ? o.filters.parseFilter(q.filter) : undefined;
    } catch (e) {
      throw filterError(o.filters, "filter", e);
    }
    try {
      params = Object.keys(hubble).length > 0 ? o.filters.hubbleParamsToExpr(hubble) : undefined;
    } catch (e) {
      throw filterError(o.filters, "parameter", e);
    }
    const expr = o.filters.andExprs(text, params);
    const where = flowsWhere({ ...range, filter: expr === undefined ? undefined : o.filters.exprToSql(expr), after, order: q.order });
    // one extra row says whether there is a next page
    const rows = await o.store.queryFlows({ where, order: q.order, limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const next = rows.length > q.limit && last ? encodeCursor(last) : null;
    const flows = page.map((r) => decodeFlow(r.flow_pb));
    // as the collector does: FlowExtension only for clients that ask (hubble cannot resolve its Any type)
    if (q.extensions !== "true") for (const f of flows) f.extensions = undefined;
    if (q.format === "ndjson") {
      const lines = flows.map((f) => {
        const line = flowNdjsonLine(f);
        if (!mask) return line;
        const obj = JSON.parse(line);
        obj.flow = Object.fromEntries(Object.entries(obj.flow).filter(([k]) => mask.includes(k)));
        return JSON.stringify(obj);
      });
      if (next) c.header("Flowlens-Next", next);
      return c.body(lines.map((l) => `${l}\n`).join(""), 200, { "content-type": "application/x-ndjson" }) as never;
    }
    return c.json({ flows: flows.map((f) => flowJson(f, mask)), next, table: "flows" }, 200);
  });

  const sqlRoute = createRoute({
    method: "post",
    path: "/api/v1/sql",
    summary: "One read-only SELECT, run as ClickHouse's read-only user; rows capped (limitReached)",
    request: { body: { content: { "application/json": { schema: SqlRequestSchema } }, required: true } },
    responses: {
      200: { description: "the rows", content: { "application/json": { schema: SqlResponseSchema } } },
      ...errorResponses,
      413: { description: "body over 1 MiB", content: { "application/json": { schema: ErrorSchema } } },
    },
  });
  app.openapi(sqlRoute, async (c) => {
    const body = c.req.valid("json");
    const query = checkReadOnlySql(body.query);
    const r = await o.store.readOnlySql(query, Math.min(body.max_rows ?? sqlMaxRows, sqlMaxRows));
    return c.json({ rows: r.rows, meta: r.meta, rowCount: r.rows.length, limitReached: r.limitReached }, 200);
  });

  const statusRoute = createRoute({
    method: "get",
    path: "/api/v1/status",
    summary: "ClickHouse version, tables, row counts and time coverage",
    responses: { 200: { description: "status", content: { "application/json": { schema: StatusSchema } } }, ...errorResponses },
  });
  app.openapi(statusRoute, async (c) => {
    const s = await o.store.status();
    return c.json({ clickhouse: { version: s.version, database: s.database }, tables: s.tables }, 200);
  });

  // L7, drop and listing analytics over raw flows (routes/)
  const analytics = { store: o.store, filters: o.filters, clock, maxRangeMs };
  registerHttpRoute(app, analytics);
  registerDnsRoute(app, analytics);
  registerDropsRoute(app, analytics);
  registerNamespacesRoute(app, analytics);
  registerValuesRoute(app, analytics);
  registerFilterValidateRoute(app, analytics);
  // aggregations (timeseries, top, graph): routes/*.ts, tables chosen by agg/table-picker.ts
  const agg = { store: o.store, filters: o.filters, clock, tables: o.tables ?? defaultTables() };
  registerTimeseries(app, agg);
  registerTop(app, agg);
  registerGraph(app, agg);

  app.doc("/api/v1/openapi.json", {
    openapi: "3.0.0",
    info: { title: "Flowlens API", version: o.version ?? "0.1.0", description: "Flow history: Hubble flows stored in ClickHouse" },
    security: o.tokens ? [{ bearer: [] }] : [],
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  return app;
}
