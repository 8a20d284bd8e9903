// /timeseries, /top and /graph end to end: the real binary on the real ClickHouse 18.16, flows stored through
// @flowlens/clickhouse's store (the ingester's path) over three days; every number is checked against a direct
// count over flows FINAL, the coarse tables are chosen for long ranges, replays do not double-count in any
// rollup, and an L7 response counts for the connection it answers.
import { createFlowStore, type FlowRow, type FlowStore, flowToRow } from "@flowlens/clickhouse";
import { testFlow } from "@flowlens/clickhouse/testkit";
import { FlowEvent, Verdict } from "@flowlens/proto";
import { type ClickHouseServer, startClickHouse } from "@flowlens/test-harness/clickhouse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiDaemon, startApi } from "./daemon.js";

const HOUR = 3_600_000;
const N = 3000;
// three days back, on an hour boundary, so the hourly table's buckets hold whole hours of seeded flows
const BASE = Math.floor((Date.now() - 3 * 24 * HOUR) / HOUR) * HOUR;
const STEP_MS = 80_000;
const END = BASE + N * STEP_MS;
const NS = ["shop", "pay", "ops"];
const PORTS = [8080, 5432, 53];

let ch: ClickHouseServer;
let store: FlowStore;
let api: ApiDaemon;
let rows: FlowRow[];

/** The seeded history: connections between namespaces, replies, drops, outside-world peers. */
function seed(): FlowRow[] {
  const out: FlowRow[] = [];
  for (let i = 0; i < N; i++) {
    const reply = i % 5 === 0;
    const client = { ns: NS[i % 3], pod: `frontend-${i % 4}`, port: 40000 + (i % 50) };
    const server = i % 97 === 0 ? { ns: "", pod: "" } : { ns: NS[(i + 1) % 3], pod: `backend-${i % 5}` };
    const service = PORTS[i % 3];
    const f = testFlow({
      uuid: `agg-${i}`,
      timeMs: BASE + i * STEP_MS,
      srcNamespace: reply ? server.ns : client.ns,
      srcPod: reply ? server.pod : client.pod,
      dstNamespace: reply ? client.ns : server.ns,
      dstPod: reply ? client.pod : server.pod,
      srcPort: reply ? service : client.port,
      dstPort: reply ? client.port : service,
      reply,
      verdict: i % 7 === 0 ? Verdict.DROPPED : Verdict.FORWARDED,
      events: i % 2 === 0 ? [FlowEvent.NEW] : [FlowEvent.END],
      bytes: 100 + (i % 13),
      packets: 1 + (i % 3),
    });
    // a peer outside the cluster carries its identity's label, as the collector's WORLD and HOST do
    const outside = reply ? f.source : f.destination;
    if (server.ns === "" && outside) outside.labels = [i % 2 ? "reserved:host" : "reserved:world"];
    out.push(flowToRow(f));
  }
  return out;
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field in assertions
type Json = any;

async function getJson(path: string) {
  const res = await fetch(`${api.url}${path}`);
  return { status: res.status, body: (await res.json()) as Json };
}

async function direct<T>(query: string): Promise<T[]> {
  const rs = await store.client.query({ query, format: "JSONEachRow" });
  return rs.json<T>();
}

// the connection orientation, written out here on purpose (not imported): the test's own statement of it
const REPLY = "(is_reply = 1 OR l7_type = 'RESPONSE')";
const SRC_NS = `if(${REPLY}, dst_namespace, src_namespace)`;
const DST_NS = `if(${REPLY}, src_namespace, dst_namespace)`;
const SRC_WL = `if(${REPLY}, dst_workload, src_workload)`;
const DST_WL = `if(${REPLY}, src_workload, dst_workload)`;
const CONNECTIONS = `countIf(has(flow_events, 'NEW') AND NOT ${REPLY})`;
const range = (b: { since: string; until: string }) =>
  `time >= toDateTime(${Date.parse(b.since) / 1000}) AND time < toDateTime(${Date.parse(b.until) / 1000})`;
const q = (ms: number) => Math.floor(ms / 1000);

beforeAll(async () => {
  ch = await startClickHouse();
  store = createFlowStore({ url: ch.url });
  await store.migrate();
  rows = seed();
  // in batches, as the ingester writes them
  for (let i = 0; i < rows.length; i += 500) await store.insertRows(rows.slice(i, i + 500));
  api = await startApi(["--clickhouse-url", ch.url, "--insecure-no-auth"]);
}, 120_000);

afterAll(async () => {
  await api?.stop();
  await store?.close();
  await ch?.destroy();
});

describe("aggregations on ClickHouse 18.16", () => {
  it("/top over three days reads flows_1h and matches flows FINAL row by row", async () => {
    const { status, body } = await getJson(
      `/api/v1/top?since=${q(BASE)}&until=${q(END)}&by=source_namespace,destination_namespace&limit=1000`,
    );
    expect(status).toBe(200);
    expect(body.table).toBe("flows_1h");
    expect(body.limitReached).toBe(false);
    const want = await direct<{ s: string; d: string; n: string }>(
      `SELECT ${SRC_NS} AS s, ${DST_NS} AS d, count() AS n FROM flowlens.flows FINAL WHERE ${range(body)} GROUP BY s, d ORDER BY n DESC, s, d`,
    );
    expect(body.rows.map((r) => [r.source_namespace, r.destination_namespace, r.value])).toEqual(want.map((w) => [w.s, w.d, Number(w.n)]));
    expect(body.total).toBe(N);
    expect(body.other).toBe(0);
    expect(body.rows.reduce((a: number, r) => a + r.share, 0)).toBeCloseTo(1, 9);
  });

  it("/top with a limit reports limitReached and the rest as other", async () => {
    const { body } = await getJson(`/api/v1/top?since=${q(BASE)}&until=${q(END)}&by=destination_port&metric=bytes&limit=2`);
    expect(body.table).toBe("flows_1h");
    expect(body.rows).toHaveLength(2);
    expect(body.limitReached).toBe(true);
    const [all] = await direct<{ b: string }>(
      `SELECT sumIf(bytes, has(flow_events, 'END')) AS b FROM flowlens.flows FINAL WHERE ${range(body)}`,
    );
    expect(body.total).toBe(Number(all.b));
    expect(body.other).toBe(Number(all.b) - body.rows[0].value - body.rows[1].value);
  });

  it("/timeseries over three days at a 1 h step: hourly table, connections per verdict equal flows FINAL per bucket", async () => {
    const { status, body } = await getJson(
      `/api/v1/timeseries?since=${q(BASE)}&until=${q(END)}&step=1h&metric=connections&group_by=verdict`,
    );
    expect(status).toBe(200);
    expect(body.table).toBe("flows_1h");
    expect(body.step).toBe(3600);
    expect(body.timestamps).toHaveLength(body.until && (Date.parse(body.until) - Date.parse(body.since)) / HOUR);
    const want = await direct<{ t: number; verdict: string; n: string }>(
      `SELECT toUInt32(intDiv(toUInt32(time), 3600) * 3600) AS t, verdict, ${CONNECTIONS} AS n FROM flowlens.flows FINAL WHERE ${range(body)} GROUP BY t, verdict`,
    );
    const expected = (verdict?: string) =>
      body.timestamps.map((t: number) =>
        want.filter((w) => Number(w.t) === t && (!verdict || w.verdict === verdict)).reduce((a, w) => a + Number(w.n), 0),
      );
    expect(body.total).toEqual(expected());
    for (const s of body.series) expect(s.values).toEqual(expected(s.key.verdict));
    expect(body.other.every((v: number) => v === 0)).toBe(true);
    // empty buckets are zeros, not gaps
    expect(body.total.length).toBe(body.timestamps.length);
  });

  it("a short range with a pod dimension reads flows_minute; a drop_reason filter over days reads flows_5m or flows_1h", async () => {
    const since = q(END - 2 * HOUR);
    const { body } = await getJson(`/api/v1/timeseries?since=${since}&until=${q(END)}&points=120&group_by=source_pod&limit=2`);
    expect(body.table).toBe("flows_minute");
    expect(body.step).toBe(60);
    expect(body.limitReached).toBe(true);
    const want = await direct<{ n: string }>(`SELECT count() AS n FROM flowlens.flows FINAL WHERE ${range(body)}`);
    const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
    expect(sum(body.total)).toBe(Number(want[0].n));
    expect(sum(body.other) + sum(body.series.flatMap((s) => s.values))).toBe(Number(want[0].n));

    const dr = await getJson(
      `/api/v1/top?since=${q(BASE)}&until=${q(END)}&by=destination_workload&filter=${encodeURIComponent("drop_reason = POLICY_DENIED")}`,
    );
    expect(dr.body.table).toBe("flows_1h");
    const [drops] = await direct<{ n: string }>(
      `SELECT count() AS n FROM flowlens.flows FINAL WHERE ${range(dr.body)} AND drop_reason = 'POLICY_DENIED'`,
    );
    expect(dr.body.total).toBe(Number(drops.n));
    expect(dr.body.total).toBeGreaterThan(0);
  });

  it("a filter on a field no rollup has falls back to raw flows (and the same count)", async () => {
    const { body } = await getJson(
      `/api/v1/top?since=${q(BASE)}&until=${q(END)}&by=verdict&filter=${encodeURIComponent("source_ip = 10.99.0.2")}`,
    );
    expect(body.table).toBe("flows");
    expect(body.total).toBe(N);
    const pod = await getJson(`/api/v1/top?since=${q(BASE)}&until=${q(END)}&by=verdict&from-pod=shop/frontend-1`);
    expect(pod.body.table).toBe("flows_minute");
  });

  it("/graph at workload level over three days: edges with ports, verdicts, bytes; outside peers are host and world nodes", async () => {
    const { status, body } = await getJson(`/api/v1/graph?since=${q(BASE)}&until=${q(END)}&level=workload`);
    expect(status).toBe(200);
    expect(body.table).toBe("flows_1h");
    const want = await direct<{ sn: string; sw: string; dn: string; dw: string; n: string; b: string; d: string }>(
      `SELECT ${SRC_NS} AS sn, ${SRC_WL} AS sw, ${DST_NS} AS dn, ${DST_WL} AS dw, count() AS n, sumIf(bytes, has(flow_events, 'END')) AS b,
              countIf(verdict = 'DROPPED') AS d FROM flowlens.flows FINAL WHERE ${range(body)} GROUP BY sn, sw, dn, dw`,
    );
    const id = (ns: string, w: string) => (ns === "" ? w || "reserved:world" : `${ns}/${w}`);
    const got = new Map(body.edges.map((e) => [`${e.source} ${e.destination}`, e]));
    expect(body.edges).toHaveLength(want.length);
    for (const w of want) {
      const e = got.get(`${id(w.sn, w.sw)} ${id(w.dn, w.dw)}`);
      expect(e).toBeDefined();
      expect([e.flows, e.bytes, e.verdicts.DROPPED ?? 0]).toEqual([Number(w.n), Number(w.b), Number(w.d)]);
    }
    expect(body.nodes.filter((n) => n.namespace === "").map((n) => [n.id, n.kind])).toEqual([
      ["reserved:host", "host"],
      ["reserved:world", "world"],
    ]);
    const ports = new Set(body.edges.flatMap((e) => e.ports.map((p) => p.port)));
    expect([...ports].sort()).toEqual([53, 5432, 8080]);
    const pods = await getJson(`/api/v1/graph?since=${q(BASE)}&until=${q(END)}&level=pod`);
    expect(pods.body.table).toBe("flows_minute");
    expect(pods.body.edges.reduce((a: number, e) => a + e.flows, 0)).toBe(N);
  });

  it("a replayed batch (the ingester's skip-existing path) changes no number in any rollup", async () => {
    const before = await getJson(`/api/v1/top?since=${q(BASE)}&until=${q(END)}&by=destination_port&limit=10`);
    expect(await store.insertRows(rows.slice(1000, 1600), { skipExisting: true })).toEqual({ inserted: 0, skipped: 600 });
    for (const t of ["flows_minute", "flows_5m", "flows_1h"]) {
      const [r] = await direct<{ n: string }>(`SELECT sum(flows) AS n FROM flowlens.${t}`);
      expect([t, Number(r.n)]).toEqual([t, N]);
    }
    const after = await getJson(`/api/v1/top?since=${q(BASE)}&until=${q(END)}&by=destination_port&limit=10`);
    expect(after.body).toEqual(before.body);
  });

  it("L7 responses count for their connection (client → server:port), not per client port", async () => {
    const t = END + 10 * 60_000;
    const req = {
      ...flowToRow(
        testFlow({
          uuid: "l7-req",
          timeMs: t,
          srcNamespace: "web",
          srcPod: "ui-1",
          dstNamespace: "web",
          dstPod: "api-1",
          srcPort: 51234,
          dstPort: 8080,
        }),
      ),
      type: "L7",
      l7_type: "REQUEST",
      is_reply: -1,
    };
    const resp = {
      ...flowToRow(
        testFlow({
          uuid: "l7-resp",
          timeMs: t + 5,
          srcNamespace: "web",
          srcPod: "api-1",
          dstNamespace: "web",
          dstPod: "ui-1",
          srcPort: 8080,
          dstPort: 51234,
        }),
      ),
      type: "L7",
      l7_type: "RESPONSE",
      is_reply: -1,
    };
    await store.insertRows([req, resp]);
    for (const [since, table] of [
      [t - 60_000, "flows_minute"],
      [t - 30 * 60_000, "flows_5m"],
      [t - 3 * 24 * HOUR, "flows_1h"],
    ] as const) {
      const { body } = await getJson(
        `/api/v1/top?since=${q(since)}&until=${q(t + 120_000)}&by=source_workload,destination_workload,destination_port&namespace=web`,
      );
      expect(body.table).toBe(table);
      expect(body.rows.map((r) => [r.source_workload, r.destination_workload, r.destination_port, r.value])).toEqual([
        ["ui", "api", 8080, 2],
      ]);
    }
  });

  it("bad input is a one-line 400", async () => {
    for (const path of [
      "/api/v1/timeseries?group_by=verdict,protocol,source_namespace,destination_namespace",
      "/api/v1/timeseries?group_by=nope",
      "/api/v1/timeseries?since=30d&step=1s",
      "/api/v1/timeseries?step=soon",
      "/api/v1/top",
      "/api/v1/top?by=verdict&limit=1001",
      "/api/v1/graph?level=galaxy",
      "/api/v1/top?by=verdict&filter=pood%20%3D%20x",
    ]) {
      const { status, body } = await getJson(path);
      expect([path, status, body.error]).toEqual([path, 400, "bad_request"]);
      expect(body.detail).not.toContain("\n");
    }
  });
});
