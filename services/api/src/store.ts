// What the routes need from ClickHouse, behind an interface (route tests use a fake).
import type { Sql } from "@flowlens/clickhouse";

/** A stored flow as /flows reads it. */
export interface StoredFlow {
  /** unix seconds */
  time: number;
  time_ns: number;
  uuid: string;
  /** base64 protobuf flow.Flow */
  flow_pb: string;
}

export interface FlowsQuery {
  where: Sql;
  order: "newest" | "oldest";
  limit: number;
}

export interface SqlResult {
  meta: { name: string; type: string }[];
  rows: Record<string, unknown>[];
  limitReached: boolean;
}

export interface TableStatus {
  table: string;
  rows: number;
  bytes: number;
  oldest: string | null;
  newest: string | null;
}

export interface StoreStatus {
  version: string;
  database: string;
  tables: TableStatus[];
}

export interface ApiStore {
  readonly database: string;
  /** Flows matching `where` (over the flows table's columns), in keyset order. */
  queryFlows(q: FlowsQuery): Promise<StoredFlow[]>;
  /** A query already checked by sql-guard, run as the read-only user; at most maxRows rows. */
  readOnlySql(query: string, maxRows: number): Promise<SqlResult>;
  status(): Promise<StoreStatus>;
  /** An aggregation the API built (every value through the literal builder); `kind` labels its query-time metric. */
  aggregateRows(kind: string, query: Sql): Promise<Record<string, unknown>[]>;
  /** An aggregation the API built (agg/agg-sql.ts); more than maxRows rows is an error. */
  aggregate(query: Sql, maxRows: number): Promise<Record<string, unknown>[]>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
