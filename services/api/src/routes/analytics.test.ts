// Route tests of /http, /dns, /drops, /namespaces, /values/{field}, /filter/validate on the fake store and
// compiler: parameters, the SQL each builds (literals through the builder), shaping of rows, limits, 400s.
import { describe, expect, it } from "vitest";
import { createApi } from "../app.js";
import { createApiMetrics } from "../metrics.js";
import { type AggregateAnswer, fakeCompiler, fakeStore } from "../testkit.js";

const NOW = new Date("2026-01-10T12:00:00Z");

function api(answer?: AggregateAnswer) {
  const f = fakeStore([], undefined, answer);
  const app = createApi({ store: f.store, filters: fakeCompiler, metrics: createApiMetrics(), clock: () => NOW });
  return { app, ...f };
}
async function json(res: Response) {
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("GET /api/v1/http", () => {
  const stats = { requests: "10", errors_4xx: "1", errors_5xx: "2", timed: "10", latency_ns: ["1000000", "5000000", "9000000"] };
  it("groups by the server workload by default and shapes counts, ratios and latency in ms", async () => {
    const { app, aggregates } = api((_k, s) =>
      s.includes("GROUP BY namespace, workload")
        ? [{ namespace: "shop", workload: "backend", ...stats }]
        : s.includes("GROUP BY url")
          ? [{ url: "/x", errors: "3", errors_4xx: "1", errors_5xx: "2" }]
          : [stats],
    );
    const { status, body } = await json(await app.request("/api/v1/http?since=2h&verdict=FORWARDED"));
    expect(status).toBe(200);
    expect(body).toMatchObject({
      table: "flows",
      group_by: ["workload"],
      range: { since: "2026-01-10T10:00:00.000Z", until: "2026-01-10T12:00:00.000Z" },
      totals: {
        requests: 10,
        errors_4xx: 1,
        errors_5xx: 2,
        error_ratio_4xx: 0.1,
        error_ratio_5xx: 0.2,
        latency_ms: { p50: 1, p95: 5, p99: 9 },
      },
      groups: [{ key: { namespace: "shop", workload: "backend" }, requests: 10 }],
      failing_urls: [{ url: "/x", errors: 3, errors_4xx: 1, errors_5xx: 2 }],
      limitReached: false,
    });
    expect(aggregates).toHaveLength(3);
    for (const a of aggregates) {
      expect(a.sql).toContain("FROM flowlens.flows FINAL WHERE time >= toDateTime(");
      // the Hubble parameter reached the compiler, and only through literals
      expect(a.sql).toContain("has(['FORWARDED'], verdict)");
      expect(a.sql).toContain("l7_type = 'RESPONSE'");
    }
    expect(aggregates[0].sql).toContain("quantilesIf(0.5, 0.95, 0.99)(l7_latency_ns, l7_latency_ns > 0)");
    expect(aggregates[1].sql).toMatch(/LIMIT 11$/);
    expect(aggregates[2].sql).toMatch(/http_code >= 400 GROUP BY url ORDER BY errors DESC, url LIMIT 11$/);
  });
  it("answers null latency and zero ratios when nothing was timed or answered", async () => {
    const zero = { requests: "0", errors_4xx: "0", errors_5xx: "0", timed: "0", latency_ns: ["0", "0", "0"] };
    const { body } = await json(await api(() => [zero]).app.request("/api/v1/http?group_by=method,code"));
    expect(body.totals).toEqual({ requests: 0, errors_4xx: 0, errors_5xx: 0, error_ratio_4xx: 0, error_ratio_5xx: 0, latency_ms: null });
  });
  it("keys method and code groups, and says when top cut the list", async () => {
    const row = (method: string, code: string) => ({
      method,
      code,
      requests: "1",
      errors_4xx: "0",
      errors_5xx: "0",
      timed: "0",
      latency_ns: [],
    });
    const { app, aggregates } = api((_k, s) => (s.includes("GROUP BY method, code") ? [row("GET", "200"), row("POST", "500")] : []));
    const { body } = await json(await app.request("/api/v1/http?group_by=method,code&top=1"));
    expect(body.groups).toMatchObject([{ key: { method: "GET", code: 200 } }]);
    expect(body.limitReached).toBe(true);
    expect(aggregates[1].sql).toMatch(/LIMIT 2$/);
  });
  it.each([
    ["group_by=pod", 'group_by: unknown dimension "pod" (one of workload, method, code)'],
    ["group_by=code,code", "group_by: code given twice"],
    ["group_by=code,method,workload,code", "group_by: at most 3 dimensions, got 4"],
  ])("refuses %s", async (q, detail) => {
    expect(await json(await api().app.request(`/api/v1/http?${q}`))).toEqual({ status: 400, body: { error: "bad_request", detail } });
  });
  it("refuses top over 1000 and a bad filter with its position", async () => {
    expect((await api().app.request("/api/v1/http?top=1001")).status).toBe(400);
    const bad = await json(await api().app.request("/api/v1/http?filter=oops"));
    expect(bad).toEqual({
      status: 400,
      body: { error: "bad_request", detail: 'filter: unexpected "o" at 1:1', position: { offset: 0, line: 1, column: 1 } },
    });
  });
});

describe("GET /api/v1/dns", () => {
  it("answers zeros and empty lists when there is no DNS data", async () => {
    const { status, body } = await json(await api().app.request("/api/v1/dns"));
    expect(status).toBe(200);
    expect(body).toMatchObject({
      table: "flows",
      queries: 0,
      responses: 0,
      rcodes: [],
      top_names: [],
      nxdomain_sources: [],
      limitReached: false,
    });
  });
  it("names rcodes and caps names and NXDOMAIN sources", async () => {
    const { app, aggregates } = api((_k, s) => {
      if (s.includes("GROUP BY rcode"))
        return [
          { rcode: "0", responses: "5" },
          { rcode: "3", responses: "2" },
          { rcode: "23", responses: "1" },
        ];
      if (s.includes("GROUP BY namespace, pod")) return [{ namespace: "a", pod: "p", nxdomain: "2" }];
      if (s.includes("GROUP BY name ")) return [1, 2, 3].map((i) => ({ name: `n${i}.`, queries: "1", responses: "1", nxdomain: "0" }));
      return [{ queries: "8", responses: "8" }];
    });
    const { body } = await json(await app.request("/api/v1/dns?top=2"));
    expect(body.rcodes).toEqual([
      { rcode: 0, name: "NOERROR", responses: 5 },
      { rcode: 3, name: "NXDOMAIN", responses: 2 },
      { rcode: 23, name: "RCODE23", responses: 1 },
    ]);
    expect((body.top_names as unknown[]).length).toBe(2);
    expect(body).toMatchObject({ queries: 8, nxdomain_sources: [{ namespace: "a", pod: "p", nxdomain: 2 }], limitReached: true });
    expect(aggregates.find((a) => a.sql.includes("GROUP BY namespace, pod"))?.sql).toContain("dns_rcode = 3");
  });
});

describe("GET /api/v1/drops", () => {
  it("lists reasons, pairs and ports of DROPPED flows", async () => {
    const { app, aggregates } = api((_k, s) => {
      if (s.includes("GROUP BY reason")) return [{ reason: "POLICY_DENIED", drops: "4" }];
      if (s.includes("GROUP BY protocol, port")) return [{ protocol: "TCP", port: 5432, drops: "4" }];
      if (s.includes("GROUP BY source_namespace")) return [];
      return [{ drops: "4" }];
    });
    const { body } = await json(await app.request("/api/v1/drops"));
    expect(body).toMatchObject({
      drops: 4,
      by_reason: [{ reason: "POLICY_DENIED", drops: 4 }],
      by_pair: [],
      by_port: [{ protocol: "TCP", port: 5432, drops: 4 }],
      limitReached: false,
    });
    for (const a of aggregates) expect(a.sql).toContain("AND verdict = 'DROPPED'");
  });
});

describe("GET /api/v1/namespaces", () => {
  it("counts flows per namespace on either side and caps with limit", async () => {
    const { app, aggregates } = api(() => [
      { namespace: "a", flows: "3", as_source: "2", as_destination: "1" },
      { namespace: "b", flows: "1", as_source: "0", as_destination: "1" },
    ]);
    const { body } = await json(await app.request("/api/v1/namespaces?limit=1"));
    expect(body).toMatchObject({ namespaces: [{ namespace: "a", flows: 3, as_source: 2, as_destination: 1 }], limitReached: true });
    expect(aggregates[0].sql).toContain(
      "ARRAY JOIN if(src_namespace = dst_namespace, [src_namespace], [src_namespace, dst_namespace]) AS ns",
    );
  });
});

describe("GET /api/v1/values/{field}", () => {
  it("reads both sides of a shorthand, with the prefix as a literal", async () => {
    const { app, aggregates } = api(() => [{ value: "shop", flows: "7" }]);
    const { status, body } = await json(await app.request(`/api/v1/values/namespace?prefix=${encodeURIComponent("sh'o")}`));
    expect(status).toBe(200);
    expect(body).toMatchObject({ field: "namespace", values: [{ value: "shop", flows: 7 }], limitReached: false });
    expect(aggregates[0].sql).toContain("substring(value, 1, 4) = 'sh\\'o'");
    expect(aggregates[0].sql).toContain("if(toString(src_namespace) = toString(dst_namespace)");
    expect(aggregates[0].sql).toMatch(/LIMIT 21$/);
  });
  it("refuses a field without a value list, naming the ones it has", async () => {
    expect(await json(await api().app.request("/api/v1/values/flow_pb"))).toEqual({
      status: 400,
      body: { error: "bad_request", detail: 'field: "flow_pb" has no value list (one of namespace, verdict)' },
    });
    expect((await api().app.request("/api/v1/values/verdict?limit=0")).status).toBe(400);
    expect((await api().app.request(`/api/v1/values/verdict?prefix=${"x".repeat(300)}`)).status).toBe(400);
  });
});

describe("POST /api/v1/filter/validate", () => {
  const post = (app: ReturnType<typeof api>["app"], body: unknown) =>
    app.request("/api/v1/filter/validate", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  it("answers the fields and the SQL of a valid filter", async () => {
    expect(await json(await post(api().app, { filter: "verdict = DROPPED" }))).toEqual({
      status: 200,
      body: { ok: true, fields: ["verdict"], sql: "has(['DROPPED'], verdict)" },
    });
    expect((await json(await post(api().app, { filter: "  " }))).body).toEqual({ ok: true, fields: [], sql: "" });
  });
  it("answers a bad filter with a positioned 400 and a missing one with a 400", async () => {
    expect(await json(await post(api().app, { filter: "nope" }))).toEqual({
      status: 400,
      body: { error: "bad_request", detail: 'filter: unexpected "n" at 1:1', position: { offset: 0, line: 1, column: 1 } },
    });
    expect((await post(api().app, {})).status).toBe(400);
  });
  it("is in the OpenAPI document with the other analytics routes", async () => {
    const doc = (await (await api().app.request("/api/v1/openapi.json")).json()) as { paths: Record<string, unknown> };
    for (const p of [
      "/api/v1/http",
      "/api/v1/dns",
      "/api/v1/drops",
      "/api/v1/namespaces",
      "/api/v1/values/{field}",
      "/api/v1/filter/validate",
    ])
      expect(Object.keys(doc.paths)).toContain(p);
  });
});
