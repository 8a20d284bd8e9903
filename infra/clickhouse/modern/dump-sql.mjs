// Prints, as JSON, the exact SQL and insert text @flowlens/clickhouse sends (migrations, queries, TSV
// rows for a known set of flows), so check.py can replay them on a current ClickHouse engine (chdb).
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  countFlowsSql,
  dropPartitionSql,
  expectedCellsSql,
  FLOW_COLUMN_NAMES,
  FLOW_COLUMNS,
  flowToRow,
  listPartitionsSql,
  literal,
  MIGRATIONS,
  ROLLUPS,
  rollupCellsSql,
  rowsToTsv,
  storedUuidsSql,
} from "@flowlens/clickhouse";
import { FlowEvent, FlowSchema, setFlowExtension, Verdict } from "@flowlens/proto";

const db = "flowlens";
const now = Date.UTC(2030, 0, 20, 12, 0, 0);
const DAY = 86_400_000;
function flow(uuid, ms, o = {}) {
  const f = create(FlowSchema, {
    time: timestampFromMs(ms),
    uuid,
    verdict: o.verdict ?? Verdict.FORWARDED,
    nodeName: "node-a",
    IP: { source: "10.0.0.1", destination: "10.0.0.2", ipVersion: 1 },
    l4: {
      protocol: {
        case: "TCP",
        value: { sourcePort: o.reply ? 8080 : 40000, destinationPort: o.reply ? 40000 : 8080, flags: { SYN: true } },
      },
    },
    source: {
      namespace: "default",
      podName: o.reply ? "backend-1" : "frontend-1",
      labels: [o.reply ? "k8s:app=backend" : "k8s:app=frontend", "it's\\odd"],
    },
    destination: {
      namespace: "default",
      podName: o.reply ? "frontend-1" : "backend-1",
      labels: [o.reply ? "k8s:app=frontend" : "k8s:app=backend"],
    },
    isReply: o.reply ?? false,
  });
  return setFlowExtension(f, { packets: 4n, bytes: 1000n, flowEvents: o.events ?? [FlowEvent.NEW] });
}
const flows = [
  flow("a", now, { events: [FlowEvent.NEW] }),
  flow("b", now + 1000, { reply: true, events: [FlowEvent.NEW, FlowEvent.END] }),
  flow("c", now + 2000, { events: [FlowEvent.END] }),
  flow("d", now + 3000, { verdict: Verdict.DROPPED, events: [FlowEvent.NEW, FlowEvent.DROP] }),
  flow("old", now - 10 * DAY),
];
const rows = flows.map((f) => flowToRow(f));
const nasty = ["it's", "a\\b", "\\'", "x' OR 1=1 --", "line\nbreak\ttab", "nul\0byte", "päd 🚀", "{p:String}"];
console.log(
  JSON.stringify({
    migrations: MIGRATIONS.map((m) => ({ version: m.version, statements: m.statements(db).map((s) => s.text) })),
    columns: FLOW_COLUMNS,
    columnNames: FLOW_COLUMN_NAMES,
    tsv: rowsToTsv(rows),
    // a replay: b and c again
    replayTsv: rowsToTsv(rows.slice(1, 3)),
    countSql: countFlowsSql(db).text,
    storedUuidsSql: storedUuidsSql(db, rows[0].time, rows[3].time).text,
    listPartitionsSql: listPartitionsSql(db).text,
    dropOldSql: dropPartitionSql(db, "flows", rows[4].time.slice(0, 10).replaceAll("-", "")).text,
    // the repair's two reads per rollup, over the minutes of flows a-d
    repair: ROLLUPS.map((r) => ({
      table: r.table,
      have: rollupCellsSql(db, rows[0].time, rows[3].time, r.table).text,
      want: expectedCellsSql(db, rows[0].time, rows[3].time, r.table).text,
    })),
    literals: nasty.map((s) => ({ value: s, sql: `SELECT ${literal(s).text} AS v` })),
  }),
);
