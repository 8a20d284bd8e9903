// /http, /dns, /drops, /namespaces, /values/{field} and /filter/validate end to end: the real binary on the real
// ClickHouse 18.16, L7 and dropped flows stored through @flowlens/clickhouse's store, every number checked
// against a direct count of the same rows.
import { create } from "@bufbuild/protobuf";
import { createClient } from "@clickhouse/client";
import { createFlowStore, type FlowStore, type Sql, sql } from "@flowlens/clickhouse";
import { testFlow } from "@flowlens/clickhouse/testkit";
import { DropReason, type Flow, FlowType, L7FlowType, Layer7Schema, Verdict } from "@flowlens/proto";
import { type ClickHouseServer, startClickHouse } from "@flowlens/test-harness/clickhouse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiDaemon, startApi } from "./daemon.js";

const BASE_MS = Date.now() - 20 * 60_000;
let ch: ClickHouseServer;
let store: FlowStore;
let api: ApiDaemon;
let seq = 0;

function l7(f: Flow, type: L7FlowType, latencyMs: number, record: NonNullable<Flow["l7"]>["record"]): Flow {
  f.Type = FlowType.L7;
  f.l7 = create(Layer7Schema, { type, latencyNs: BigInt(latencyMs * 1_000_000), record });
  return f;
}
const at = () => BASE_MS + seq * 500;
const uuid = (p: string) => `${p}-${String(seq++).padStart(4, "0")}`;

/** An HTTP exchange: the client's request, then the server's reply (source = server, as Hubble orients it). */
function exchange(client: [string, string], server: [string, string], method: string, url: string, code: number, ms: number): Flow[] {
  const req = testFlow({
    uuid: uuid("http"),
    timeMs: at(),
    srcNamespace: client[0],
    srcPod: client[1],
    dstNamespace: server[0],
    dstPod: server[1],
  });
  const res = testFlow({
    uuid: uuid("http"),
    timeMs: at(),
    srcNamespace: server[0],
    srcPod: server[1],
    dstNamespace: client[0],
    dstPod: client[1],
    srcPort: 8080,
    dstPort: 40000,
    reply: true,
  });
  return [
    l7(req, L7FlowType.REQUEST, 0, { case: "http", value: { method, url, protocol: "HTTP/1.1" } }),
    l7(res, L7FlowType.RESPONSE, ms, { case: "http", value: { method, url, code, protocol: "HTTP/1.1" } }),
  ];
}

function dnsExchange(name: string, rcode: number): Flow[] {
  const q = testFlow({
    uuid: uuid("dns"),
    timeMs: at(),
    srcNamespace: "shop",
    srcPod: "frontend-1",
    dstNamespace: "kube-system",
    dstPod: "coredns-1",
    dstPort: 53,
  });
  const r = testFlow({
    uuid: uuid("dns"),
    timeMs: at(),
    srcNamespace: "kube-system",
    srcPod: "coredns-1",
    dstNamespace: "shop",
    dstPod: "frontend-1",
    srcPort: 53,
    reply: true,
  });
  return [
    l7(q, L7FlowType.REQUEST, 0, { case: "dns", value: { query: name, qtypes: ["A"] } }),
    l7(r, L7FlowType.RESPONSE, 2, { case: "dns", value: { query: name, rcode, qtypes: ["A"] } }),
  ];
}

function drop(srcNs: string, srcPod: string, dstNs: string, dstPod: string, port: number, reason: DropReason): Flow {
  const f = testFlow({
    uuid: uuid("drop"),
    timeMs: at(),
    srcNamespace: srcNs,
    srcPod,
    dstNamespace: dstNs,
    dstPod,
    dstPort: port,
    verdict: Verdict.DROPPED,
  });
  f.dropReasonDesc = reason;
  return f;
}

const flows: Flow[] = [];
for (let i = 0; i < 40; i++) {
  const code = i % 10 === 0 ? 500 : i % 10 === 1 ? 404 : 200;
  flows.push(
    ...exchange(["shop", "frontend-1"], ["shop", "backend-1"], i % 2 ? "POST" : "GET", `http://backend/api/item/${i % 4}`, code, i + 1),
  );
}
for (let i = 0; i < 10; i++)
  flows.push(...exchange(["shop", "frontend-1"], ["pay", "payments-1"], "POST", "http://payments/charge", 503, 100));
for (let i = 0; i < 24; i++)
  flows.push(...dnsExchange(i % 4 === 0 ? "nope.example." : "backend.shop.svc.cluster.local.", i % 4 === 0 ? 3 : 0));
for (let i = 0; i < 30; i++)
  flows.push(
    drop(
      "web",
      "crawler-1",
      "db",
      "postgres-1",
      i % 3 === 0 ? 5432 : 6379,
      i % 5 === 0 ? DropReason.POLICY_DENY : DropReason.POLICY_DENIED,
    ),
  );
for (let i = 0; i < 12; i++) flows.push(drop("shop", "frontend-1", "db", "postgres-1", 5432, DropReason.POLICY_DENIED));

async function getJson(path: string) {
  const res = await fetch(`${api.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const count = (where: Sql) => store.countFlows(where);
const enc = encodeURIComponent;

beforeAll(async () => {
  ch = await startClickHouse();
  store = createFlowStore({ url: ch.url });
  await store.migrate();
  await store.insertFlows(flows);
  api = await startApi(["--clickhouse-url", ch.url, "--insecure-no-auth"]);
}, 120_000);

afterAll(async () => {
  await api?.stop();
  await store?.close();
  await ch?.destroy();
});

describe("analytics routes on ClickHouse 18.16", () => {
  it("/http: requests, 4xx/5xx ratios and latency quantiles per server workload, as counted directly", async () => {
    const { status, body } = await getJson("/api/v1/http?since=1h");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ table: "flows", group_by: ["workload"], limitReached: false });
    const responses = sql`l7_type = 'RESPONSE' AND http_code != 0`;
    const total = await count(responses);
    expect(total).toBe(50);
    const totals = body.totals as Record<string, number>;
    expect(totals.requests).toBe(total);
    expect(totals.errors_5xx).toBe(await count(sql`${responses} AND http_code >= 500`));
    expect(totals.errors_4xx).toBe(await count(sql`${responses} AND http_code >= 400 AND http_code < 500`));
    expect(totals.error_ratio_5xx).toBeCloseTo(14 / 50);
    const groups = body.groups as {
      key: Record<string, string>;
      requests: number;
      errors_5xx: number;
      latency_ms: Record<string, number>;
    }[];
    expect(groups.map((g) => [g.key.namespace, g.key.workload, g.requests])).toEqual([
      ["shop", "backend", await count(sql`${responses} AND src_workload = 'backend'`)],
      ["pay", "payments", await count(sql`${responses} AND src_workload = 'payments'`)],
    ]);
    // the same quantiles ClickHouse gives for those rows, in ms
    const direct = createClient({ url: ch.url });
    const rs = await direct.query({
      query:
        "SELECT quantiles(0.5, 0.95, 0.99)(l7_latency_ns) AS q FROM flowlens.flows FINAL WHERE l7_type = 'RESPONSE' AND src_workload = 'backend'",
      format: "JSONEachRow",
    });
    const [{ q }] = await rs.json<{ q: number[] }>();
    await direct.close();
    expect(groups[0].latency_ms).toEqual({ p50: Number(q[0]) / 1e6, p95: Number(q[1]) / 1e6, p99: Number(q[2]) / 1e6 });
    expect(groups[0].latency_ms.p50).toBeGreaterThan(10);
    expect(groups[1].latency_ms).toEqual({ p50: 100, p95: 100, p99: 100 });
    const urls = body.failing_urls as { url: string; errors: number }[];
    expect(urls[0]).toEqual({ url: "http://payments/charge", errors: 10, errors_4xx: 0, errors_5xx: 10 });
    expect(urls.find((u) => u.url === "http://backend/api/item/0")?.errors).toBe(
      await count(sql`${responses} AND http_code >= 400 AND http_url = 'http://backend/api/item/0'`),
    );
  });

  it("/http: group_by method,code with a filter and a Hubble parameter; top caps and says so", async () => {
    const { body } = await getJson(`/api/v1/http?since=1h&group_by=method,code&filter=${enc("namespace = shop")}&from-namespace=shop`);
    const groups = body.groups as { key: { method: string; code: number }; requests: number }[];
    // the filter keeps the shop backend's responses (source shop, destination shop)
    const expected = await count(
      sql`l7_type = 'RESPONSE' AND http_code = 200 AND http_method = 'GET' AND src_namespace = 'shop' AND dst_namespace = 'shop'`,
    );
    expect(groups.find((g) => g.key.method === "GET" && g.key.code === 200)?.requests).toBe(expected);
    expect(groups.reduce((s, g) => s + g.requests, 0)).toBe(40);
    const capped = await getJson("/api/v1/http?since=1h&group_by=code&top=1&urls=1");
    expect(capped.body).toMatchObject({ limitReached: true });
    expect((capped.body.groups as unknown[]).length).toBe(1);
    expect((capped.body.failing_urls as unknown[]).length).toBe(1);
  });

  it("/dns: queries, rcodes, top names and NXDOMAIN sources, as counted directly", async () => {
    const { status, body } = await getJson("/api/v1/dns?since=1h");
    expect(status).toBe(200);
    expect(body.queries).toBe(await count(sql`l7_type = 'REQUEST' AND dns_query != ''`));
    expect(body.responses).toBe(24);
    expect(body.rcodes).toEqual([
      { rcode: 0, name: "NOERROR", responses: await count(sql`l7_type = 'RESPONSE' AND dns_query != '' AND dns_rcode = 0`) },
      { rcode: 3, name: "NXDOMAIN", responses: await count(sql`l7_type = 'RESPONSE' AND dns_rcode = 3`) },
    ]);
    expect(body.top_names).toEqual([
      { name: "backend.shop.svc.cluster.local.", queries: 18, responses: 18, nxdomain: 0 },
      { name: "nope.example.", queries: 6, responses: 6, nxdomain: 6 },
    ]);
    expect(body.nxdomain_sources).toEqual([{ namespace: "shop", pod: "frontend-1", nxdomain: 6 }]);
    expect(body.limitReached).toBe(false);
  });

  it("/dns answers zeros where there is no DNS data", async () => {
    const { status, body } = await getJson("/api/v1/dns?since=5h&until=4h");
    expect(status).toBe(200);
    expect(body).toMatchObject({ queries: 0, responses: 0, rcodes: [], top_names: [], nxdomain_sources: [], limitReached: false });
    const none = await getJson(`/api/v1/dns?since=1h&filter=${enc("verdict = DROPPED")}`);
    expect(none.body).toMatchObject({ queries: 0, responses: 0, rcodes: [] });
  });

  it("/drops: by reason, pair and port, as counted directly", async () => {
    const { status, body } = await getJson("/api/v1/drops?since=1h");
    expect(status).toBe(200);
    const dropped = sql`verdict = 'DROPPED'`;
    expect(body.drops).toBe(await count(dropped));
    expect(body.by_reason).toEqual([
      { reason: "POLICY_DENIED", drops: await count(sql`${dropped} AND drop_reason = 'POLICY_DENIED'`) },
      { reason: "POLICY_DENY", drops: await count(sql`${dropped} AND drop_reason = 'POLICY_DENY'`) },
    ]);
    expect(body.by_pair).toEqual([
      { source_namespace: "web", source_pod: "crawler-1", destination_namespace: "db", destination_pod: "postgres-1", drops: 30 },
      { source_namespace: "shop", source_pod: "frontend-1", destination_namespace: "db", destination_pod: "postgres-1", drops: 12 },
    ]);
    expect(body.by_port).toEqual([
      { protocol: "TCP", port: 5432, drops: await count(sql`${dropped} AND dst_port = 5432`) },
      { protocol: "TCP", port: 6379, drops: await count(sql`${dropped} AND dst_port = 6379`) },
    ]);
    const web = await getJson("/api/v1/drops?since=1h&from-namespace=web&top=1");
    expect(web.body).toMatchObject({ drops: 30, limitReached: true });
  });

  it("/namespaces: every namespace seen, flows touching each", async () => {
    const { body } = await getJson("/api/v1/namespaces?since=1h");
    const list = body.namespaces as { namespace: string; flows: number; as_source: number; as_destination: number }[];
    expect(list.map((n) => n.namespace)).toEqual(["db", "kube-system", "pay", "shop", "web"]);
    for (const n of list) {
      const touching = await count(sql`src_namespace = ${n.namespace} OR dst_namespace = ${n.namespace}`);
      expect(n.flows, n.namespace).toBe(touching);
      expect(n.as_source).toBe(await count(sql`src_namespace = ${n.namespace}`));
    }
    const capped = await getJson("/api/v1/namespaces?since=1h&limit=2");
    expect(capped.body).toMatchObject({ limitReached: true });
  });

  it("/values/{field}: distinct values with prefix and limit; shorthands list both sides", async () => {
    const pods = await getJson("/api/v1/values/pod?since=1h&prefix=f");
    expect(pods.body).toMatchObject({ field: "pod", table: "flows", limitReached: false });
    expect(pods.body.values).toEqual([{ value: "frontend-1", flows: await count(sql`src_pod = 'frontend-1' OR dst_pod = 'frontend-1'`) }]);
    const codes = await getJson("/api/v1/values/http_status?since=1h");
    expect(codes.body.field).toBe("http_code");
    expect((codes.body.values as { value: string }[]).map((v) => v.value).sort()).toEqual(["200", "404", "500", "503"]);
    const paths = await getJson("/api/v1/values/http_path?since=1h&prefix=/api/item/");
    expect((paths.body.values as { value: string; flows: number }[]).map((v) => v.value).sort()).toEqual(
      [0, 1, 2, 3].map((i) => `/api/item/${i}`),
    );
    const verdicts = await getJson("/api/v1/values/verdict?since=1h&limit=1");
    expect(verdicts.body).toMatchObject({ values: [{ value: "FORWARDED" }], limitReached: true });
    const odd = await getJson(`/api/v1/values/source_pod?since=1h&prefix=${enc("x' OR 1=1 --")}`);
    expect(odd).toMatchObject({ status: 200, body: { values: [] } });
  });

  it("/filter/validate: fields and SQL, or a positioned 400", async () => {
    const post = async (filter: string) => {
      const res = await fetch(`${api.url}/api/v1/filter/validate`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ filter }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const ok = await post("namespace = shop AND http_code >= 500");
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, fields: ["http_code", "source_namespace", "destination_namespace"].sort() });
    expect(ok.body.sql).toContain("http_code >= 500");
    const bad = await post("verdict = DROPPED AND sorce_pod = x");
    expect(bad).toMatchObject({ status: 400, body: { error: "bad_request", position: { offset: 22, line: 1, column: 23 } } });
    expect(bad.body.detail).toMatch(/sorce_pod.*1:23/);
  });

  it.each([
    ["/api/v1/values/nosuchfield?since=1h", /field: "nosuchfield" has no value list/],
    ["/api/v1/values/uuid?since=1h", /field: "uuid" has no value list/],
    ["/api/v1/http?since=1h&group_by=workload,pod", /group_by: unknown dimension "pod"/],
    ["/api/v1/http?since=1h&group_by=code,code", /group_by: code given twice/],
    ["/api/v1/http?since=1h&top=5000", /top/],
    [`/api/v1/drops?since=1h&filter=${enc("verdict = DROPPED AND (")}`, /^filter: .*1:24/],
    ["/api/v1/dns?since=1h&from-pod=a&verdict=MAYBE", /^parameter: /],
    ["/api/v1/namespaces?since=30d", /range/],
  ])("answers %s with one line of 4xx JSON", async (path, detail) => {
    const { status, body } = await getJson(path);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expect(body.detail).toMatch(detail);
    expect(String(body.detail)).not.toContain("\n");
  });
});
