// The rollups beside the raw table: flows_minute (with pods), flows_5m and flows_1h (without pods, with
// drop reason and direction). One definition each drives its table, its materialized view, the repair
// and the API's table choice, so every rollup counts and orients flows the same way.
import { ident } from "./sql.js";

/** One rollup table. */
export interface RollupDef {
  table: "flows_minute" | "flows_5m" | "flows_1h";
  view: string;
  /** seconds per row */
  resolution: number;
  /** the bucket column */
  timeColumn: string;
  /** SQL starting the bucket of a DateTime expression (18.16 has no toStartOfInterval) */
  bucket: (e: string) => string;
  /** key columns after the bucket, in GROUP BY order */
  keys: readonly string[];
}

/** Summed columns of every rollup. */
export const ROLLUP_SUM_COLUMNS = ["flows", "connections", "packets", "bytes", "drops"] as const;

// A reply counts for the connection it answers, Cilium-style: its source is the connection's destination.
// L7 RESPONSE records are replies too even where the datapath left is_reply unknown, so an HTTP response
// counts for client → server:port, not for a row per client ephemeral port.
export const REPLY_SQL = "(is_reply = 1 OR l7_type = 'RESPONSE')";

/** Each rollup key column as an expression over the raw `flows` columns (oriented by connection). */
export const ORIENTED: Readonly<Record<string, string>> = {
  source_namespace: `if(${REPLY_SQL}, dst_namespace, src_namespace)`,
  source_pod: `if(${REPLY_SQL}, dst_pod, src_pod)`,
  source_workload: `if(${REPLY_SQL}, dst_workload, src_workload)`,
  destination_namespace: `if(${REPLY_SQL}, src_namespace, dst_namespace)`,
  destination_pod: `if(${REPLY_SQL}, src_pod, dst_pod)`,
  destination_workload: `if(${REPLY_SQL}, src_workload, dst_workload)`,
  destination_port: `if(${REPLY_SQL}, src_port, dst_port)`,
  protocol: "protocol",
  verdict: "verdict",
  drop_reason: "drop_reason",
  traffic_direction: "traffic_direction",
};

/** Each summed column as an aggregate over the raw columns: counters from END records only (final totals). */
export const RAW_SUMS: Readonly<Record<(typeof ROLLUP_SUM_COLUMNS)[number], string>> = {
  flows: "count()",
  connections: `countIf(has(flow_events, 'NEW') AND NOT ${REPLY_SQL})`,
  packets: "sumIf(packets, has(flow_events, 'END'))",
  bytes: "sumIf(bytes, has(flow_events, 'END'))",
  drops: "countIf(verdict = 'DROPPED')",
};

const COARSE_KEYS = [
  "source_namespace",
  "source_workload",
  "destination_namespace",
  "destination_workload",
  "destination_port",
  "protocol",
  "verdict",
  "drop_reason",
  "traffic_direction",
] as const;

export const ROLLUPS: readonly RollupDef[] = [
  {
    table: "flows_minute",
    view: "flows_minute_mv2",
    resolution: 60,
    timeColumn: "minute",
    bucket: (e) => `toStartOfMinute(${e})`,
    keys: [
      "source_namespace",
      "source_pod",
      "source_workload",
      "destination_namespace",
      "destination_pod",
      "destination_workload",
      "destination_port",
      "protocol",
      "verdict",
    ],
  },
  {
    table: "flows_5m",
    view: "flows_5m_mv",
    resolution: 300,
    timeColumn: "bucket",
    bucket: (e) => `toStartOfFiveMinute(${e})`,
    keys: COARSE_KEYS,
  },
  {
    table: "flows_1h",
    view: "flows_1h_mv",
    resolution: 3600,
    timeColumn: "bucket",
    // not toStartOfHour(time): on 18.16 that is also the raw table's sorting-key column, and a select over
    // flows FINAL (the repair) fails with "Column 'toStartOfHour(time)' already exists"
    bucket: (e) => `toDateTime(intDiv(toUInt32(${e}), 3600) * 3600)`,
    keys: COARSE_KEYS,
  },
];

const TYPES: Record<string, string> = { destination_port: "UInt16" };

/** The rollup's rows computed from `source` (a table, optionally with FINAL/WHERE): its view's query. */
export function rollupSelectOf(r: RollupDef, source: string): string {
  const keys = r.keys.map((k) => `  ${ORIENTED[k]} AS ${k},`).join("\n");
  const sums = ROLLUP_SUM_COLUMNS.map((c) => `  ${RAW_SUMS[c]} AS ${c}`).join(",\n");
  return `SELECT
  ${r.bucket("time")} AS ${r.timeColumn},
${keys}
${sums}
FROM ${source}
GROUP BY ${r.timeColumn}, ${r.keys.join(", ")}`;
}

/** CREATE TABLE of a rollup (SummingMergeTree, day partitions so retention drops days). */
export function rollupTableSql(db: string, r: RollupDef): string {
  const cols = [
    `${r.timeColumn} DateTime`,
    ...r.keys.map((k) => `${k} ${TYPES[k] ?? "String"}`),
    ...ROLLUP_SUM_COLUMNS.map((c) => `${c} UInt64`),
  ];
  return `CREATE TABLE IF NOT EXISTS ${ident(db)}.${r.table} (
  ${cols.join(",\n  ")}
)
ENGINE = SummingMergeTree((${ROLLUP_SUM_COLUMNS.join(", ")}))
PARTITION BY toYYYYMMDD(${r.timeColumn})
ORDER BY (${r.timeColumn}, ${r.keys.join(", ")})`;
}

/** CREATE MATERIALIZED VIEW feeding a rollup from the raw table. */
export function rollupViewSql(db: string, r: RollupDef): string {
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${ident(db)}.${r.view} TO ${ident(db)}.${r.table} AS
${rollupSelectOf(r, `${ident(db)}.flows`)}`;
}

/** The rollup of a table name. */
export function rollupNamed(table: string): RollupDef | undefined {
  return ROLLUPS.find((r) => r.table === table);
}
