// The flow-history schema: raw flows table, per-minute rollup, dedup view. SQL that runs on 18.16 and current ClickHouse.
// No CODEC (18.16 rejects it; the server config compresses big parts with zstd), no LowCardinality, no TTL.
import type { ClickHouseClient } from "@clickhouse/client";
import { backfillRollups } from "./rollup-repair.js";
import { ROLLUPS, rollupTableSql, rollupViewSql } from "./rollups.js";
import { ident, Sql } from "./sql.js";

/** The default database name. */
export const DEFAULT_DATABASE = "flowlens";

/** One schema change: statements that are each idempotent on their own (IF NOT EXISTS). */
export interface Migration {
  version: number;
  name: string;
  statements: (database: string) => Sql[];
  /** Work after the statements (idempotent too), e.g. filling a new rollup from the stored flows. */
  after?: (client: ClickHouseClient, database: string) => Promise<unknown>;
}

/** Columns of the raw table, in insert order; FlowRow (rows.ts) has exactly these keys. */
export const FLOW_COLUMNS = `
  time DateTime,
  time_ns UInt32,
  uuid String,
  node_name String,
  verdict String,
  drop_reason String,
  type String,
  observation_point String,
  ip_version UInt8,
  src_ip String,
  dst_ip String,
  src_port UInt16,
  dst_port UInt16,
  protocol String,
  icmp_type UInt8,
  icmp_code UInt8,
  tcp_flags Array(String),
  src_namespace String,
  src_pod String,
  src_workload String,
  src_labels Array(String),
  src_identity UInt32,
  dst_namespace String,
  dst_pod String,
  dst_workload String,
  dst_labels Array(String),
  dst_identity UInt32,
  traffic_direction String,
  is_reply Int8,
  interface String,
  packets UInt64,
  bytes UInt64,
  rtt_ns UInt64,
  retransmits UInt32,
  flow_events Array(String),
  kernel_drop_reason String,
  pid UInt32,
  comm String,
  l7_type String,
  l7_latency_ns UInt64,
  http_method String,
  http_url String,
  http_code UInt16,
  http_protocol String,
  dns_query String,
  dns_rcode UInt16,
  dns_qtypes Array(String),
  kafka_topic String,
  kafka_api_key String,
  flow_pb String`;

// Schema text is code: only validated identifiers are spliced into it.
/** The raw table's column names, in FLOW_COLUMNS order. */
export const FLOW_COLUMN_NAMES: readonly string[] = FLOW_COLUMNS.split(",").map((c) => c.trim().split(" ")[0]);

/** Rollup key columns of flows_minute, in its GROUP BY order. */
export const ROLLUP_KEYS = [
  "minute",
  "source_namespace",
  "source_pod",
  "source_workload",
  "destination_namespace",
  "destination_pod",
  "destination_workload",
  "destination_port",
  "protocol",
  "verdict",
] as const;

/** Summed columns of flows_minute. */
export const ROLLUP_SUMS = ["flows", "connections", "packets", "bytes", "drops"] as const;

// Migration 2 ships this text as flows_minute_mv: change it only together with a new migration.
/** The per-minute rollup of the flows read from `source` (a table, optionally with FINAL/WHERE): the MV's query. */
export function rollupSelect(source: string): string {
  return `SELECT
  toStartOfMinute(time) AS minute,
  if(is_reply = 1, dst_namespace, src_namespace) AS source_namespace,
  if(is_reply = 1, dst_pod, src_pod) AS source_pod,
  if(is_reply = 1, dst_workload, src_workload) AS source_workload,
  if(is_reply = 1, src_namespace, dst_namespace) AS destination_namespace,
  if(is_reply = 1, src_pod, dst_pod) AS destination_pod,
  if(is_reply = 1, src_workload, dst_workload) AS destination_workload,
  if(is_reply = 1, src_port, dst_port) AS destination_port,
  protocol,
  verdict,
  count() AS flows,
  countIf(has(flow_events, 'NEW') AND is_reply != 1) AS connections,
  sumIf(packets, has(flow_events, 'END')) AS packets,
  sumIf(bytes, has(flow_events, 'END')) AS bytes,
  countIf(verdict = 'DROPPED') AS drops
FROM ${source}
GROUP BY minute, source_namespace, source_pod, source_workload, destination_namespace, destination_pod,
  destination_workload, destination_port, protocol, verdict`;
}

function raw(text: string): Sql {
  return new Sql(text);
}

/** The migrations, oldest first. Never edit one that shipped; add a new version. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "flows raw table",
    statements: (db) => [
      // ReplacingMergeTree on a key that ends in uuid: a flow inserted twice (ingester replay) is one row
      // after merges; queries that must not see it twice until then read with FINAL (see dedupCountSql).
      raw(`CREATE TABLE IF NOT EXISTS ${ident(db)}.flows (${FLOW_COLUMNS}
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(time)
ORDER BY (toStartOfHour(time), src_namespace, dst_namespace, time, uuid)
SETTINGS index_granularity = 8192`),
    ],
  },
  {
    version: 2,
    name: "per-minute rollup",
    statements: (db) => [
      // Rows are oriented by connection: source = the side that opened it, destination = the side that
      // answered, so a reply flow counts for the connection it answers and destination_port is the
      // service port, not the client's ephemeral one. (Names differ from the raw table's src_/dst_ on
      // purpose: an alias equal to a column it is computed from is a "cyclic alias" in ClickHouse.)
      raw(`CREATE TABLE IF NOT EXISTS ${ident(db)}.flows_minute (
  minute DateTime,
  source_namespace String,
  source_pod String,
  source_workload String,
  destination_namespace String,
  destination_pod String,
  destination_workload String,
  destination_port UInt16,
  protocol String,
  verdict String,
  flows UInt64,
  connections UInt64,
  packets UInt64,
  bytes UInt64,
  drops UInt64
)
ENGINE = SummingMergeTree((flows, connections, packets, bytes, drops))
PARTITION BY toYYYYMMDD(minute)
ORDER BY (minute, source_namespace, destination_namespace, source_pod, destination_pod, destination_port, protocol, verdict, source_workload, destination_workload)`),
      // Counters are cumulative per direction, so packets/bytes come from a flow's END record only (its
      // final totals, both directions); flows counts every record, connections the NEW records.
      raw(`CREATE MATERIALIZED VIEW IF NOT EXISTS ${ident(db)}.flows_minute_mv TO ${ident(db)}.flows_minute AS
${rollupSelect(`${ident(db)}.flows`)}`),
    ],
  },
  {
    version: 3,
    name: "flows_dedup view",
    statements: (db) => [
      // For ad-hoc SQL and dashboards that cannot add FINAL themselves; filtered queries are faster on
      // flows FINAL directly because 18.16 does not push WHERE into views.
      raw(`CREATE VIEW IF NOT EXISTS ${ident(db)}.flows_dedup AS SELECT * FROM ${ident(db)}.flows FINAL`),
    ],
  },
  {
    version: 4,
    name: "flows_5m and flows_1h rollups; every rollup orients L7 responses by their connection",
    statements: (db) => [
      // flows_minute_mv counted an L7 response (is_reply unknown) as its own client-port row; its
      // successor uses the shared orientation (rollups.ts). Dropped first: a view pair would count twice.
      raw(`DROP TABLE IF EXISTS ${ident(db)}.flows_minute_mv`),
      ...ROLLUPS.filter((r) => r.table !== "flows_minute").map((r) => raw(rollupTableSql(db, r))),
      ...ROLLUPS.map((r) => raw(rollupViewSql(db, r))),
    ],
    // an upgraded database has history the new views never saw: fill the coarse rollups from flows FINAL
    after: (client, db) => backfillRollups(client, db, ["flows_5m", "flows_1h"]),
  },
];

/** The table that records applied migration versions. */
export function migrationsTableSql(db: string): Sql {
  return raw(`CREATE TABLE IF NOT EXISTS ${ident(db)}.schema_migrations (
  version UInt32,
  name String,
  applied_at DateTime
)
ENGINE = ReplacingMergeTree
ORDER BY version`);
}
