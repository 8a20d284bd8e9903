// Prints, as JSON, the flows table's schema, a small set of L7/drop flows as the TabSeparated text the store
// inserts, and the exact SQL the analytics routes send for a list of requests (the real app and filter
// compiler over a store that records its queries), with the numbers each should give; analytics-check.py replays them.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { FLOW_COLUMN_NAMES, FLOW_COLUMNS, flowToRow, MIGRATIONS, rowsToTsv } from "@flowlens/clickhouse";
import { DropReason, FlowSchema, FlowType, L7FlowType, Verdict } from "@flowlens/proto";
import { createApi } from "../dist/app.js";
import { FLOW_QUERY } from "../dist/filter-compiler.js";
import { createApiMetrics } from "../dist/metrics.js";

const now = Date.UTC(2030, 0, 20, 12, 0, 0);
let seq = 0;
function flow(src, dst, o = {}) {
  const reply = o.reply ?? false;
  return create(FlowSchema, {
    time: timestampFromMs(now - 600_000 + seq * 1000),
    uuid: `m-${seq++}`,
    verdict: o.verdict ?? Verdict.FORWARDED,
    dropReasonDesc: o.reason ?? 0,
    Type: o.l7 ? FlowType.L7 : FlowType.L3_L4,
    nodeName: "node-a",
    IP: { source: "10.0.0.1", destination: "10.0.0.2", ipVersion: 1 },
    l4: { protocol: { case: "TCP", value: { sourcePort: reply ? 8080 : 40000, destinationPort: o.port ?? (reply ? 40000 : 8080) } } },
    source: { namespace: src[0], podName: src[1], labels: [`k8s:app=${src[1].split("-")[0]}`] },
    destination: { namespace: dst[0], podName: dst[1], labels: [`k8s:app=${dst[1].split("-")[0]}`] },
    isReply: reply,
    l7: o.l7,
  });
}
const client = ["shop", "frontend-1"];
const server = ["shop", "backend-1"];
const dns = ["kube-system", "coredns-1"];
const flows = [];
[200, 200, 404, 500].forEach((code, i) => {
  const http = { method: "GET", url: `http://backend/item/${i}`, protocol: "HTTP/1.1" };
  flows.push(flow(client, server, { l7: { type: L7FlowType.REQUEST, record: { case: "http", value: http } } }));
  flows.push(
    flow(server, client, {
      reply: true,
      l7: { type: L7FlowType.RESPONSE, latencyNs: BigInt((i + 1) * 10_000_000), record: { case: "http", value: { ...http, code } } },
    }),
  );
});
[0, 3].forEach((rcode) => {
  const rec = { query: rcode ? "nope.example." : "backend.shop.", qtypes: ["A"] };
  flows.push(flow(client, dns, { port: 53, l7: { type: L7FlowType.REQUEST, record: { case: "dns", value: rec } } }));
  flows.push(flow(dns, client, { reply: true, l7: { type: L7FlowType.RESPONSE, record: { case: "dns", value: { ...rec, rcode } } } }));
});
for (let i = 0; i < 3; i++)
  flows.push(flow(["web", "crawler-1"], ["db", "postgres-1"], { verdict: Verdict.DROPPED, reason: DropReason.POLICY_DENIED, port: 5432 }));

const recorded = [];
const store = {
  database: "flowlens",
  async aggregateRows(_kind, q) {
    recorded.push(q.text);
    return [];
  },
};
const app = createApi({ store, filters: FLOW_QUERY, metrics: createApiMetrics(), clock: () => new Date(now) });

// each request, and per statement it sends (in order) the columns to check in its first row (null: no check)
const requests = [
  ["/api/v1/http?since=1h", [{ requests: 4, errors_4xx: 1, errors_5xx: 1, timed: 4 }, { requests: 4 }, { errors: 1 }]],
  [
    "/api/v1/http?since=1h&group_by=workload,method,code&filter=namespace%20%3D%20shop%20AND%20http_code%20%3E%3D%20400",
    [{ requests: 2 }, { requests: 1 }, { errors: 1 }],
  ],
  ["/api/v1/dns?since=1h", [{ queries: 2, responses: 2 }, { rcode: 0, responses: 1 }, { queries: 1, nxdomain: 0 }, { nxdomain: 1 }]],
  ["/api/v1/dns?since=1h&from-namespace=web", [{ queries: 0, responses: 0 }, null, null, null]],
  ["/api/v1/drops?since=1h", [{ drops: 3 }, { drops: 3 }, { drops: 3 }, { port: 5432, drops: 3 }]],
  ["/api/v1/namespaces?since=1h", [{ namespace: "db", flows: 3, as_source: 0, as_destination: 3 }]],
  ["/api/v1/values/pod?since=1h&prefix=front", [{ value: "frontend-1", flows: 12 }]],
  ["/api/v1/values/http_path?since=1h", [{ flows: 2 }]],
  ["/api/v1/values/dns_rcode?since=1h&prefix=3", [{ value: "3", flows: 1 }]],
];
const queries = [];
for (const [path, expect] of requests) {
  recorded.length = 0;
  const res = await app.request(path);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  if (recorded.length !== expect.length) throw new Error(`${path}: ${recorded.length} statements, expected ${expect.length}`);
  for (const [i, sql] of recorded.entries()) queries.push({ name: `${path} #${i}`, sql, expect: expect[i] });
}

console.log(
  JSON.stringify({
    flowsTable: MIGRATIONS[0].statements("flowlens").map((s) => s.text),
    columns: FLOW_COLUMNS,
    columnNames: FLOW_COLUMN_NAMES,
    tsv: rowsToTsv(flows.map((f) => flowToRow(f))),
    queries,
  }),
);
