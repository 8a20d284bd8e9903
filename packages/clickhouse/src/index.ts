// @flowlens/clickhouse: flow history in ClickHouse — schema, migrations, rows, the store, retention, SQL literals.

export { appliedVersions, type MigrateResult, migrate } from "./migrate.js";
export { DEFAULT_RETENTION_DAYS, type Retention, type RetentionOptions, startRetention } from "./retention.js";
export { backfillRollups, expectedCellsSql, repairRollup, rollupCellsSql } from "./rollup-repair.js";
export {
  ORIENTED,
  RAW_SUMS,
  REPLY_SQL,
  ROLLUP_SUM_COLUMNS,
  ROLLUPS,
  type RollupDef,
  rollupNamed,
  rollupSelectOf,
  rollupTableSql,
  rollupViewSql,
} from "./rollups.js";
export { dateTimeFromSeconds, type FlowRow, flowEnumNames, flowToRow, TCP_FLAG_NAMES, workloadOf } from "./rows.js";
export {
  DEFAULT_DATABASE,
  FLOW_COLUMN_NAMES,
  FLOW_COLUMNS,
  MIGRATIONS,
  type Migration,
  ROLLUP_KEYS,
  ROLLUP_SUMS,
  rollupSelect,
} from "./schema.js";
export { dateTimeText, ident, joinSql, literal, qualified, Sql, type SqlValue, sql } from "./sql.js";
export {
  countFlowsSql,
  createFlowStore,
  dropPartitionSql,
  type FlowStore,
  type FlowStoreOptions,
  type InsertOptions,
  type InsertResult,
  listPartitionsSql,
  PARTITIONED_TABLES,
  type RetentionDays,
  storedUuidsSql,
  timeRange,
} from "./store.js";
export { rowsToTsv } from "./tsv.js";
