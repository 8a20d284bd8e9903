// flowlens-api against a seeded history in the real ClickHouse 18.16: latency per route at one client
// and at 8, and the API's overhead against the very same SQL sent straight to ClickHouse.
// Seeding: synthetic flows (pods across namespaces, a verdict and port mix) over the last --days,
// through @flowlens/clickhouse's store (the ingester's row path). The API runs in this process on a
// real HTTP listener; its store records each statement it sends, which is then replayed directly.
// Usage: vite-node bench/api.ts [--flows 10000000] [--days 7] [--pods 2000] [--namespaces 50] [--rounds 20]
import { type AddressInfo, createServer } from "node:net";
import { createClient } from "@clickhouse/client";
import { createFlowStore, type Sql } from "@flowlens/clickhouse";
import { testFlow } from "@flowlens/clickhouse/testkit";
import { Verdict } from "@flowlens/proto";
import { startClickHouse } from "@flowlens/test-harness/clickhouse";
import { serve } from "@hono/node-server";
import { createApi } from "../services/api/dist/app.js";
import { createClickHouseStore } from "../services/api/dist/clickhouse-store.js";
import { FLOW_QUERY } from "../services/api/dist/filter-compiler.js";
import { flowsSelectSql } from "../services/api/dist/flows-sql.js";
import { createApiMetrics } from "../services/api/dist/metrics.js";
import type { ApiStore } from "../services/api/dist/store.js";
import { fmt, parseFlags, result } from "./lib/args.mjs";

const opts = parseFlags({ flows: 10_000_000, days: 7, pods: 2000, namespaces: 50, rounds: 20, batch: 100_000 });
const N = Number(opts.flows);
const DAY_MS = 86_400_000;

// --- seed -----------------------------------------------------------------------------------------
const ch = await startClickHouse();
const store = createFlowStore({ url: ch.url });
await store.migrate();
const now = Date.now();
const span = Number(opts.days) * DAY_MS;
let seed = 42;
const rand = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const PORTS = [80, 443, 8080, 5432, 6379, 9092, 3306, 53];
const podOf = (i: number) => ({ ns: `ns-${i % Number(opts.namespaces)}`, pod: `app${i % 40}-${i}` });
// Servers are skewed: most connections go to the first tenth of the pods.
const pick = (skew: boolean) => Math.floor((skew && rand() < 0.8 ? 0.1 : 1) * rand() * Number(opts.pods));
const t0 = performance.now();
for (let done = 0; done < N; ) {
  const n = Math.min(Number(opts.batch), N - done);
  const flows = Array.from({ length: n }, (_, k) => {
    const s = podOf(pick(false));
    const d = podOf(pick(true));
    const v = rand();
    return testFlow({
      uuid: `b-${done + k}`,
      timeMs: now - Math.floor(rand() * span),
      srcPod: s.pod,
      srcNamespace: s.ns,
      dstPod: d.pod,
      dstNamespace: d.ns,
      dstPort: PORTS[Math.floor(rand() * PORTS.length)],
      srcPort: 30000 + Math.floor(rand() * 30000),
      verdict: v < 0.93 ? Verdict.FORWARDED : v < 0.99 ? Verdict.DROPPED : Verdict.AUDIT,
      bytes: 100 + Math.floor(rand() * 100_000),
    });
  });
  await store.insertFlows(flows);
  done += n;
}
const seedS = (performance.now() - t0) / 1000;
console.log(`api: seeded ${fmt(N)} flows over ${opts.days} days in ${seedS.toFixed(1)} s (${fmt(N / seedS)} flows/s)`);

// --- the API, in process, its statements recorded --------------------------------------------------
// Every statement a route sent, by route (a route may send several, concurrently).
const recorded = new Map<string, Set<string>>();
let capture = false;
const record = (text: string) => {
  if (!capture) return;
  let set = recorded.get(current);
  if (!set) {
    set = new Set();
    recorded.set(current, set);
  }
  set.add(text);
};
let current = "";
const real = createClickHouseStore({
  url: ch.url,
  database: "flowlens",
  username: "default",
  password: "",
  readerUsername: "flowlens_reader",
  readerPassword: "",
  limits: { maxExecutionTime: 30, maxMemoryUsage: 4_000_000_000 },
});
const recording: ApiStore = Object.assign(Object.create(real), {
  queryFlows(q: Parameters<ApiStore["queryFlows"]>[0]) {
    record(flowsSelectSql(real.database, q.where, q.order, q.limit).text);
    return real.queryFlows(q);
  },
  aggregateRows(kind: string, query: Sql) {
    record(query.text);
    return real.aggregateRows(kind, query);
  },
  aggregate(query: Sql, maxRows: number) {
    record(query.text);
    return real.aggregate(query, maxRows);
  },
});
const app = createApi({ store: recording, filters: FLOW_QUERY, metrics: createApiMetrics() });
const port = await new Promise<number>((ok) => {
  const free = createServer().listen(0, "127.0.0.1", () => {
    const p = (free.address() as AddressInfo).port;
    free.close(() => ok(p));
  });
});
const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port });
const direct = createClient({ url: ch.url, request_timeout: 60_000 });

const ns = "ns-7";
const pod = podOf(7).pod;
// [name, path, p95 target at one client in ms (issue 10), or 0 for none]
const queries: [string, string, number][] = [
  ["/flows 1h, pod + verdict", `/api/v1/flows?since=1h&from-pod=${ns}/${pod}&verdict=DROPPED&limit=100`, 50],
  ["/flows 1h, newest 100", "/api/v1/flows?since=1h&limit=100", 50],
  ["/timeseries 6h by verdict", "/api/v1/timeseries?since=6h&metric=flows&group_by=verdict", 100],
  ["/top 7d namespace pairs", "/api/v1/top?since=7d&by=source_namespace,destination_namespace&limit=10", 250],
  ["/graph 7d namespaces", "/api/v1/graph?since=7d&level=namespace", 250],
  ["/drops 7d", "/api/v1/drops?since=7d", 0],
  ["/namespaces 1d", "/api/v1/namespaces?since=1d", 0],
  ["/values/pod 1h prefix", "/api/v1/values/pod?since=1h&prefix=app1", 0],
];

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
async function timeGet(path: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body.slice(0, 200)}`);
  return performance.now() - t;
}
async function timeDirect(texts: Iterable<string>): Promise<number> {
  const t = performance.now();
  await Promise.all([...texts].map(async (query) => (await direct.query({ query, format: "JSONEachRow" })).json()));
  return performance.now() - t;
}

const rounds = Number(opts.rounds);
console.log("route                          API p50   API p95   8 clients p95   direct p50   API/direct");
for (const [name, path, target] of queries) {
  current = name;
  // The first call's statements are the ones replayed straight to ClickHouse.
  capture = true;
  const probe = await fetch(`http://127.0.0.1:${port}${path}`);
  capture = false;
  if (probe.status === 404) {
    console.log(`${name.padEnd(30)} (route not in this build)`);
    continue;
  }
  await probe.text();
  const one: number[] = [];
  for (let i = 0; i < rounds; i++) one.push(await timeGet(path));
  const many: number[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = 0; i < Math.ceil(rounds / 2); i++) many.push(await timeGet(path));
    }),
  );
  const statements = recorded.get(name);
  const dir: number[] = [];
  if (statements) for (let i = 0; i < rounds; i++) dir.push(await timeDirect(statements));
  const ratio = dir.length ? pct(one, 50) / pct(dir, 50) : Number.NaN;
  console.log(
    `${name.padEnd(30)} ${pct(one, 50).toFixed(1).padStart(7)}ms ${pct(one, 95).toFixed(1).padStart(7)}ms ${pct(many, 95).toFixed(1).padStart(13)}ms ${dir.length ? `${pct(dir, 50).toFixed(1).padStart(10)}ms` : "         -"}   ${Number.isNaN(ratio) ? "-" : ratio.toFixed(2)}`,
  );
  const p95 = pct(one, 95);
  result(`api ${name} p95 (${fmt(N)} flows)`, `${p95.toFixed(1)} ms`, target ? `<= ${target} ms` : "-", !target || p95 <= target);
}

server.close();
await direct.close();
await real.close();
await store.close();
await ch.destroy();
process.exit(0);
