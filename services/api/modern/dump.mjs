// Prints, as JSON, the schema, a seeded history (TSV) and the aggregation SQL the API builds for each table
// (series, grouped totals, tuple IN lists, filters compiled onto rollup columns), so check.py can run them
// on current ClickHouse (chdb) and check that every table gives the same numbers as raw flows.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { FLOW_COLUMN_NAMES, FLOW_COLUMNS, flowToRow, MIGRATIONS, rowsToTsv } from "@flowlens/clickhouse";
import { exprToSql, parseFilter } from "@flowlens/flow-query";
import { FlowEvent, FlowSchema, setFlowExtension, Verdict } from "@flowlens/proto";
import { seriesSql, totalsSql } from "../dist/agg/agg-sql.js";

const db = "flowlens";
const BASE = Date.UTC(2030, 0, 20, 10, 0, 0);
const rows = [];
for (let i = 0; i < 600; i++) {
  const reply = i % 5 === 0;
  const a = { ns: ["shop", "pay"][i % 2], pod: `web-${i % 3}`, app: "web", port: 40000 + (i % 9) };
  const b = { ns: "db", pod: `pg-${i % 2}`, app: "pg", port: [5432, 8080][i % 2] };
  const [s, d] = reply ? [b, a] : [a, b];
  const f = create(FlowSchema, {
    time: timestampFromMs(BASE + i * 12_000),
    uuid: `m-${i}`,
    verdict: i % 7 === 0 ? Verdict.DROPPED : Verdict.FORWARDED,
    dropReasonDesc: i % 7 === 0 ? 133 : 0,
    nodeName: "node-a",
    IP: { source: "10.0.0.1", destination: "10.0.0.2", ipVersion: 1 },
    l4: { protocol: { case: "TCP", value: { sourcePort: s.port, destinationPort: d.port, flags: { SYN: true } } } },
    source: { namespace: s.ns, podName: s.pod, labels: [`k8s:app=${s.app}`] },
    destination: { namespace: d.ns, podName: d.pod, labels: [`k8s:app=${d.app}`] },
    isReply: reply,
  });
  rows.push(flowToRow(setFlowExtension(f, { packets: 3n, bytes: BigInt(100 + i), flowEvents: i % 2 ? [FlowEvent.END] : [FlowEvent.NEW] })));
}
const tables = ["flows", "flows_minute", "flows_5m", "flows_1h"];
const src = (table, filter) => ({ database: db, table, sinceS: BASE / 1000, untilS: BASE / 1000 + 2 * 3600, filter });
// raw flows are filtered by connection, as the API does (agg/request.ts)
const f = (text, table) => exprToSql(parseFilter(text), table === "flows" ? "flows_oriented" : table);
const groups = [];
for (const metric of ["flows", "connections", "packets", "bytes", "drops"]) {
  groups.push({ name: `series ${metric}`, queries: tables.map((t) => seriesSql(src(t), 3600, metric, []).text) });
  groups.push({
    name: `totals ${metric} by namespaces, workloads, port`,
    queries: tables.map(
      (t) =>
        totalsSql(src(t), ["source_namespace", "destination_namespace", "destination_workload", "destination_port"], [metric], 1000).text,
    ),
  });
}
groups.push({
  name: "series per verdict, IN tuples, workload filter",
  queries: tables.map(
    (t) =>
      seriesSql(
        src(t, f("destination_workload = pg AND namespace IN (shop, db)", t)),
        3600,
        "flows",
        ["verdict", "destination_port"],
        [
          ["FORWARDED", 5432],
          ["DROPPED", 8080],
        ],
      ).text,
  ),
});
groups.push({
  name: "drop_reason and traffic_direction filters on the coarse rollups",
  queries: ["flows", "flows_5m", "flows_1h"].map(
    (t) =>
      totalsSql(src(t, f("drop_reason = 133 OR (verdict = DROPPED AND traffic_direction != INGRESS)", t)), ["verdict"], ["flows"], 10).text,
  ),
});
groups.push({
  name: "pod filter (namespace/name) on flows_minute",
  queries: ["flows", "flows_minute"].map(
    (t) => totalsSql(src(t, f("source_pod = shop/web-0 OR destination_pod = pg-1", t)), ["source_pod"], ["bytes"], 10).text,
  ),
});
console.log(
  JSON.stringify({
    migrations: MIGRATIONS.map((m) => m.statements(db).map((s) => s.text)),
    columns: FLOW_COLUMNS,
    columnNames: FLOW_COLUMN_NAMES,
    tsv: rowsToTsv(rows),
    groups,
  }),
);
