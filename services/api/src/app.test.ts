// Route tests: the Hono app on a fake store and compiler, through app.request.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { FlowSchema, Verdict } from "@flowlens/proto";
import { describe, expect, it } from "vitest";
import { createApi } from "./app.js";
import { createApiMetrics } from "./metrics.js";
import { fakeCompiler, fakeStore, storedFlow } from "./testkit.js";

const NOW = new Date("2026-01-10T12:00:00Z");
const flows = Array.from({ length: 5 }, (_, i) =>
  storedFlow(
    create(FlowSchema, {
      uuid: `u${i}`,
      time: timestampFromMs(NOW.getTime() - 60_000 + i * 1000),
      nodeName: "node-a",
      verdict: i % 2 ? Verdict.DROPPED : Verdict.FORWARDED,
    }),
  ),
);

function api(opts: { tokens?: string[]; fail?: Error; corsOrigin?: string } = {}) {
  const f = fakeStore(flows, opts.fail);
  const app = createApi({
    store: f.store,
    filters: fakeCompiler,
    metrics: createApiMetrics(),
    clock: () => NOW,
    tokens: opts.tokens,
    corsOrigin: opts.corsOrigin,
  });
  return { app, ...f };
}

async function json(res: Response) {
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("GET /api/v1/flows", () => {
  it("pages newest first with the cursor the previous page returned", async () => {
    const { app, queries } = api();
    const p1 = await json(await app.request("/api/v1/flows?limit=2"));
    expect(p1.status).toBe(200);
    expect((p1.body.flows as { uuid: string }[]).map((f) => f.uuid)).toEqual(["u4", "u3"]);
    expect(queries[0].limit).toBe(3);
    expect(queries[0].where.text).toContain("time >= toDateTime(");
    expect(typeof p1.body.next).toBe("string");
    await app.request(`/api/v1/flows?limit=2&cursor=${p1.body.next}`);
    // the cursor becomes a keyset condition strictly past the last row (u3)
    expect(queries[1].where.text).toMatch(/uuid < 'u3'/);
  });
  it("returns Hubble JSON with proto field names, masked by fields=", async () => {
    const { body } = await json(await api().app.request("/api/v1/flows?fields=uuid,verdict&limit=1"));
    expect(body.flows).toEqual([{ uuid: "u4", verdict: "FORWARDED" }]);
  });
  it("streams one GetFlowsResponse per line for format=ndjson", async () => {
    const res = await api().app.request("/api/v1/flows?format=ndjson&order=oldest");
    expect(res.headers.get("content-type")).toContain("application/x-ndjson");
    const lines = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatchObject({ flow: { uuid: "u0" }, node_name: "node-a" });
    expect(lines[0].time).toBe(lines[0].flow.time);
  });
  it("compiles filter= and Hubble parameters into one AND", async () => {
    const { app, queries } = api();
    expect((await app.request("/api/v1/flows?filter=verdict%20%3D%20DROPPED&verdict=FORWARDED")).status).toBe(200);
    expect(queries[0].where.text).toContain("has(['DROPPED', 'FORWARDED'], verdict)");
  });
  it.each([
    ["filter=verdict%20~~", 400, /filter: unexpected/],
    ["pood=x", 400, /parameter: unknown parameter "pood"/],
    ["limit=10001", 400, /limit/],
    ["limit=abc", 400, /limit/],
    ["order=sideways", 400, /order/],
    ["since=yesterday", 400, /since/],
    ["since=30d", 422, /narrow since\/until/],
    ["cursor=notacursor", 400, /cursor/],
    ["fields=uuid,nope", 400, /unknown Flow field "nope"/],
    ["format=xml", 400, /format/],
  ])("answers %s with %i {error, detail}", async (q, status, detail) => {
    const { app, queries } = api();
    const r = await json(await app.request(`/api/v1/flows?${q}`));
    expect(r.status).toBe(status);
    expect(r.body.detail).toMatch(detail);
    expect(typeof r.body.error).toBe("string");
    expect(queries).toHaveLength(0);
  });
  it("gives a filter error's position", async () => {
    const r = await json(await api().app.request("/api/v1/flows?filter=%3F"));
    expect(r.body.position).toEqual({ offset: 0, line: 1, column: 1 });
  });
  it("answers 502 when ClickHouse is down and keeps serving", async () => {
    const { ApiError } = await import("./errors.js");
    const { app } = api({ fail: new ApiError("clickhouse_unavailable", "ClickHouse is unreachable: ECONNREFUSED") });
    const r = await json(await app.request("/api/v1/flows"));
    expect(r).toEqual({ status: 502, body: { error: "clickhouse_unavailable", detail: "ClickHouse is unreachable: ECONNREFUSED" } });
    expect((await app.request("/healthz")).status).toBe(503);
  });
});

describe("POST /api/v1/sql", () => {
  const post = (app: ReturnType<typeof api>["app"], body: unknown, headers: Record<string, string> = {}) =>
    app.request("/api/v1/sql", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  it("runs a SELECT", async () => {
    const { app, sqls } = api();
    const r = await json(await post(app, { query: "SELECT 1 AS n;" }));
    expect(r).toEqual({ status: 200, body: { rows: [{ n: 1 }], meta: [{ name: "n", type: "number" }], rowCount: 1, limitReached: false } });
    expect(sqls).toEqual(["SELECT 1 AS n"]);
  });
  it("refuses writes and second statements before the store sees them", async () => {
    const { app, sqls } = api();
    for (const query of ["SELECT 1; SELECT 2", "INSERT INTO t VALUES (1)", "DROP TABLE flowlens.flows"]) {
      const r = await json(await post(app, { query }));
      expect(r.status).toBe(400);
      expect(r.body.error).toBe("bad_request");
    }
    expect(sqls).toEqual([]);
  });
  it("answers 400 for a body that is not JSON or misses query, 413 over 1 MiB", async () => {
    const { app } = api();
    expect((await json(await post(app, "{"))).status).toBe(400);
    expect((await json(await post(app, { q: "SELECT 1" }))).body.detail).toMatch(/query/);
    const big = await post(app, { query: `SELECT '${"x".repeat(1_100_000)}'` }, { "content-length": "1100020" });
    expect(await json(big)).toMatchObject({ status: 413, body: { error: "payload_too_large" } });
  });
});

describe("auth, status, metrics, openapi, 404", () => {
  it("needs a known bearer token under /api when tokens are set", async () => {
    const { app } = api({ tokens: ["s3cret"] });
    expect((await json(await app.request("/api/v1/status"))).status).toBe(401);
    expect((await json(await app.request("/api/v1/status", { headers: { authorization: "Bearer nope" } }))).status).toBe(403);
    const ok = await json(await app.request("/api/v1/status", { headers: { authorization: "Bearer s3cret" } }));
    expect(ok).toMatchObject({ status: 200, body: { clickhouse: { version: "18.16.1" } } });
  });
  it("sends no CORS headers unless --cors-origin allows one origin", async () => {
    const headers = { origin: "https://evil.example" };
    expect((await api().app.request("/api/v1/status", { headers })).headers.get("access-control-allow-origin")).toBeNull();
    const allowed = api({ corsOrigin: "https://console.example" });
    const res = await allowed.app.request("/api/v1/status", { headers: { origin: "https://console.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("https://console.example");
  });
  it("counts requests by route and code in /metrics", async () => {
    const { app } = api();
    await app.request("/api/v1/flows?limit=0");
    const text = await (await app.request("/metrics")).text();
    expect(text).toMatch(/flowlens_api_requests_total\{route="\/api\/v1\/flows",code="400"\} 1/);
    expect(text).toContain("flowlens_api_request_duration_seconds_bucket");
  });
  it("documents every route in /api/v1/openapi.json", async () => {
    const doc = (await json(await api().app.request("/api/v1/openapi.json"))).body as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/v1/flows", "/api/v1/sql", "/api/v1/status"]));
    expect(JSON.stringify(doc.paths["/api/v1/flows"])).toContain('"name":"cursor"');
  });
  it("answers an unknown route with 404 JSON", async () => {
    expect(await json(await api().app.request("/api/v1/nope"))).toMatchObject({ status: 404, body: { error: "not_found" } });
  });
});
