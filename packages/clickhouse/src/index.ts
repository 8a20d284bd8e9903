// @flowlens/clickhouse: flow history in ClickHouse — schema, migrations, rows, the store, retention, SQL literals.

export { appliedVersions, type MigrateResult, migrate } from "./migrate.js";
export { type Retention, type RetentionOptions, startRetention } from "./retention.js";
export { dateTimeFromSeconds, type FlowRow, flowToRow, workloadOf } from "./rows.js";
export { DEFAULT_DATABASE, FLOW_COLUMNS, MIGRATIONS, type Migration } from "./schema.js";
export { dateTimeText, ident, joinSql, literal, qualified, Sql, type SqlValue, sql } from "./sql.js";
export {
  countFlowsSql,
  createFlowStore,
  type FlowStore,
  type FlowStoreOptions,
  type InsertOptions,
  type InsertResult,
  PARTITIONED_TABLES,
} from "./store.js";
