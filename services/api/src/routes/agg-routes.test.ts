// Route tests of /timeseries, /top and /graph on a fake store: parameters, the table and step chosen,
// zero-fill, top-N + other, shares, edges, and one-line 400s.
import { describe, expect, it } from "vitest";
import { createApi } from "../app.js";
import { createApiMetrics } from "../metrics.js";
import { fakeCompiler, fakeStore } from "../testkit.js";

const NOW = new Date("2026-01-10T12:00:00Z");
const T0 = Date.parse("2026-01-10T10:00:00Z") / 1000;

function api(answer: (q: string) => Record<string, unknown>[] = () => []) {
  const f = fakeStore([], undefined, (_kind, sql) => answer(sql));
  const app = createApi({ store: f.store, filters: fakeCompiler, metrics: createApiMetrics(), clock: () => NOW });
  return { app, ...f };
}

async function json(res: Response) {
  return { status: res.status, body: (await res.json()) as Record<string, never> as Record<string, unknown> & Record<string, never> };
}

describe("GET /api/v1/timeseries", () => {
  it("zero-fills the buckets, keeps the top series and sums the rest into other", async () => {
    const { app, aggregates } = api((q) => {
      if (q.includes(" IN ("))
        return [
          { t: T0, verdict: "FORWARDED", v: "5" },
          { t: T0 + 3600, verdict: "FORWARDED", v: "1" },
        ];
      if (q.includes("ORDER BY m_flows DESC"))
        return [
          { verdict: "FORWARDED", m_flows: "6" },
          { verdict: "DROPPED", m_flows: "3" },
        ];
      return [
        { t: T0, v: "7" },
        { t: T0 + 3600, v: "2" },
      ];
    });
    const { status, body } = await json(
      await app.request("/api/v1/timeseries?since=1768039200&until=1768046400&step=1h&group_by=verdict&limit=1"),
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ table: "flows_1h", step: 3600, limitReached: true, timestamps: [T0, T0 + 3600], total: [7, 2] });
    expect(body.series).toEqual([{ key: { verdict: "FORWARDED" }, values: [5, 1] }]);
    expect(body.other).toEqual([2, 1]);
    expect(aggregates.every((a) => a.sql.includes("flowlens.flows_1h"))).toBe(true);
  });

  it("per_second divides by the step; no group_by means no other", async () => {
    const { app } = api(() => [{ t: T0, v: "120" }]);
    const { body } = await json(await app.request("/api/v1/timeseries?since=1768039200&until=1768042800&step=1m&per_second=true"));
    expect(body).toMatchObject({ table: "flows_minute", step: 60, other: null });
    expect((body.total as unknown as number[])[0]).toBe(2);
    expect((body.total as unknown as number[]).length).toBe(60);
  });

  it("answers bad parameters with one-line 400s", async () => {
    const { app } = api();
    for (const [path, detail] of [
      ["/api/v1/timeseries?group_by=a,b,c,d", /unknown dimension "a"/],
      ["/api/v1/timeseries?group_by=verdict,protocol,source_pod,destination_pod", /0 to 3 dimensions, got 4/],
      ["/api/v1/timeseries?group_by=verdict,verdict", /given twice/],
      ["/api/v1/timeseries?step=0", /not a duration/],
      ["/api/v1/timeseries?since=7d&step=1", /at most 10000/],
      ["/api/v1/timeseries?points=10001", /points/],
      ["/api/v1/timeseries?metric=latency", /metric/],
      ["/api/v1/timeseries?since=500d", /range is/],
      ["/api/v1/timeseries?filter=nope", /filter: unexpected/],
      [
        "/api/v1/timeseries?since=2d&points=3000&group_by=verdict&limit=100",
        /^2980 points × 100 series is over 200000 values: raise step or lower limit$/,
      ],
    ] as const) {
      const { status, body } = await json(await app.request(path));
      expect([path, status]).toEqual([path, status === 422 ? 422 : 400]);
      expect(String(body.detail)).toMatch(detail);
      expect(String(body.detail)).not.toContain("\n");
    }
  });
});

describe("GET /api/v1/top", () => {
  it("returns rows with shares of the total and the rest as other", async () => {
    const { app, aggregates } = api((q) =>
      q.includes("GROUP BY")
        ? [
            { destination_port: 8080, m_bytes: "60" },
            { destination_port: 53, m_bytes: "30" },
            { destination_port: 22, m_bytes: "5" },
          ]
        : [{ m_bytes: "100" }],
    );
    const { status, body } = await json(await app.request("/api/v1/top?since=7d&by=destination_port&metric=bytes&limit=2&verdict=DROPPED"));
    expect(status).toBe(200);
    expect(body).toMatchObject({ table: "flows_1h", metric: "bytes", total: 100, other: 10, limitReached: true });
    expect(body.rows).toEqual([
      { destination_port: 8080, value: 60, share: 0.6 },
      { destination_port: 53, value: 30, share: 0.3 },
    ]);
    // the Hubble parameter became the filter of every query
    expect(aggregates.every((a) => a.sql.includes("has(['DROPPED'], verdict)"))).toBe(true);
  });

  it("a pod dimension rules out the coarse rollups", async () => {
    const { app } = api(() => []);
    const { body } = await json(await app.request("/api/v1/top?since=7d&by=source_pod"));
    expect(body.table).toBe("flows_minute");
    const none = await json(await app.request("/api/v1/top?since=2d"));
    expect(none.status).toBe(400);
    expect(String(none.body.detail)).toMatch(/^by: 1 to 3 dimensions, got 0$/);
  });
});

describe("GET /api/v1/graph", () => {
  it("merges rows into edges with ports, verdict counts and bytes; namespace-less peers are nodes of their identity (host here)", async () => {
    const row = (sn: string, sw: string, dn: string, dw: string, port: number, verdict: string, flows: number, bytes: number) => ({
      source_namespace: sn,
      source_workload: sw,
      destination_namespace: dn,
      destination_workload: dw,
      destination_port: port,
      protocol: "TCP",
      verdict,
      m_flows: String(flows),
      m_connections: "1",
      m_bytes: String(bytes),
    });
    const { app } = api(() => [
      row("shop", "web", "shop", "api", 8080, "FORWARDED", 10, 1000),
      row("shop", "web", "shop", "api", 8443, "DROPPED", 2, 0),
      row("shop", "api", "", "reserved:host", 443, "FORWARDED", 4, 400),
    ]);
    const { status, body } = await json(await app.request("/api/v1/graph?since=1d&level=workload"));
    expect(status).toBe(200);
    expect(body.table).toBe("flows_1h");
    expect(body.nodes).toEqual([
      { id: "reserved:host", namespace: "", name: "reserved:host", kind: "host" },
      { id: "shop/api", namespace: "shop", name: "api", kind: "workload" },
      { id: "shop/web", namespace: "shop", name: "web", kind: "workload" },
    ]);
    expect(body.edges).toEqual([
      {
        source: "shop/web",
        destination: "shop/api",
        ports: [
          { port: 8080, protocol: "TCP" },
          { port: 8443, protocol: "TCP" },
        ],
        verdicts: { FORWARDED: 10, DROPPED: 2 },
        flows: 12,
        connections: 2,
        bytes: 1000,
      },
      {
        source: "shop/api",
        destination: "reserved:host",
        ports: [{ port: 443, protocol: "TCP" }],
        verdicts: { FORWARDED: 4 },
        flows: 4,
        connections: 1,
        bytes: 400,
      },
    ]);
    const limited = await json(await app.request("/api/v1/graph?since=1d&level=workload&limit=1"));
    expect(limited.body.limitReached).toBe(true);
    expect((limited.body.edges as unknown[]).length).toBe(1);
  });

  it("is in the OpenAPI document with the others", async () => {
    const { app } = api();
    const doc = await json(await app.request("/api/v1/openapi.json"));
    expect(Object.keys(doc.body.paths as object)).toEqual(expect.arrayContaining(["/api/v1/timeseries", "/api/v1/top", "/api/v1/graph"]));
  });
});
