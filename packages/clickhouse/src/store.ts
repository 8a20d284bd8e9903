// The flow store: one ClickHouse client, schema migration, batched inserts, dedup-aware counts, partition retention.
import { Readable } from "node:stream";
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client";
import type { Flow } from "@flowlens/proto";
import { type MigrateResult, migrate } from "./migrate.js";
import { repairRollup } from "./rollup-repair.js";
import { type FlowRow, flowToRow } from "./rows.js";
import { DEFAULT_DATABASE, FLOW_COLUMN_NAMES } from "./schema.js";
import { ident, qualified, type Sql, sql } from "./sql.js";
import { rowsToTsv } from "./tsv.js";

/** Where the store connects. */
export interface FlowStoreOptions {
  /** HTTP endpoint, e.g. http://127.0.0.1:8123 */
  url: string;
  username?: string;
  password?: string;
  /** Default "flowlens". */
  database?: string;
  /** Per-request timeout; default 30 s. */
  requestTimeoutMs?: number;
  /** Insert format: TabSeparated (default, fastest on both 18.16 and current releases) or JSONEachRow. */
  insertFormat?: "TabSeparated" | "JSONEachRow";
}

/** How an insert treats rows that may already be stored. */
export interface InsertOptions {
  /**
   * Look up the uuids already stored in the batch's time range and leave those rows out. Use it for a
   * batch that may have been inserted before (a replay after a restart, a retry after an error): the raw
   * table would collapse the duplicates anyway, but the rollup would count them twice.
   */
  skipExisting?: boolean;
}

/** What an insert did. */
export interface InsertResult {
  inserted: number;
  skipped: number;
  /** Flows the rollup lacked for skipped rows' minutes and got (set when > 0; see rollup-repair.ts). */
  repaired?: number;
}

/** The store's API; see createFlowStore. */
export interface FlowStore {
  readonly database: string;
  /** The underlying client, for queries this API does not have yet. */
  readonly client: ClickHouseClient;
  migrate(): Promise<MigrateResult>;
  /** One insert of the whole batch (one HTTP request, TabSeparated by default). */
  insertFlows(flows: readonly Flow[], options?: InsertOptions): Promise<InsertResult>;
  /** Same, for rows already built with flowToRow (e.g. from the protobuf bytes a Kafka record carries). */
  insertRows(rows: readonly FlowRow[], options?: InsertOptions): Promise<InsertResult>;
  /** Number of distinct flows (duplicates by uuid counted once), optionally filtered by a WHERE condition. */
  countFlows(where?: Sql): Promise<number>;
  /**
   * Drops whole day partitions older than `days` days before `now` (one number for every table, or days
   * per table; a table left out keeps everything); returns the days dropped (YYYYMMDD).
   */
  dropPartitionsOlderThan(days: number | RetentionDays, now?: Date): Promise<string[]>;
  /** True when the server answers /ping. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Tables that are partitioned by day and dropped by retention. */
export const PARTITIONED_TABLES = ["flows", "flows_minute", "flows_5m", "flows_1h"] as const;

/** Days kept per table. */
export type RetentionDays = Partial<Record<(typeof PARTITIONED_TABLES)[number], number>>;

/** The dedup-aware count: FINAL collapses rows with the same sorting key (which ends in uuid) at read time. */
export function countFlowsSql(database: string = DEFAULT_DATABASE, where?: Sql): Sql {
  const table = qualified(database, "flows");
  return where ? sql`SELECT count() AS n FROM ${table} FINAL WHERE ${where}` : sql`SELECT count() AS n FROM ${table} FINAL`;
}

/** Active day partitions of the partitioned tables: rows of {table, partition}. */
export function listPartitionsSql(database: string = DEFAULT_DATABASE): Sql {
  return sql`SELECT DISTINCT table, partition FROM system.parts WHERE database = ${ident(database).text} AND active AND has(${[...PARTITIONED_TABLES]}, table) ORDER BY partition`;
}

/** Drops one day partition (YYYYMMDD) of a table. */
export function dropPartitionSql(database: string, table: string, partition: string): Sql {
  if (!/^\d{8}$/.test(partition)) throw new Error(`partition ${JSON.stringify(partition)} is not a YYYYMMDD day`);
  return sql`ALTER TABLE ${qualified(database, table)} DROP PARTITION ${Number(partition)}`;
}

/** The uuids stored between two 'YYYY-MM-DD hh:mm:ss' times (inclusive). */
export function storedUuidsSql(database: string, minTime: string, maxTime: string): Sql {
  return sql`SELECT uuid FROM ${qualified(database, "flows")} WHERE time >= toDateTime(${minTime}, 'UTC') AND time <= toDateTime(${maxTime}, 'UTC')`;
}

function fail(what: string, err: unknown): Error {
  const msg = err instanceof Error ? err.message : String(err);
  return new Error(`clickhouse ${what}: ${msg.split("\n")[0]}`, { cause: err });
}

/** Earliest and latest 'YYYY-MM-DD hh:mm:ss' time of a non-empty list of rows. */
export function timeRange(rows: readonly { time: string }[]): { min: string; max: string } {
  let min = rows[0].time;
  let max = rows[0].time;
  for (const r of rows) {
    if (r.time < min) min = r.time;
    if (r.time > max) max = r.time;
  }
  return { min, max };
}

/** YYYYMMDD (UTC) of a Date, as a number. */
function dayNumber(d: Date): number {
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

/** Creates the store. Nothing is sent to the server until the first call. */
export function createFlowStore(options: FlowStoreOptions): FlowStore {
  const database = ident(options.database ?? DEFAULT_DATABASE).text;
  const flowsTable = qualified(database, "flows");
  const insertFormat = options.insertFormat ?? "TabSeparated";
  const client = createClient({
    url: options.url,
    username: options.username ?? "default",
    password: options.password ?? "",
    request_timeout: options.requestTimeoutMs ?? 30_000,
    // 18.16 knows none of the newer settings the client could send; send none.
    clickhouse_settings: {},
    // every failure reaches the caller as one wrapped error; the client's own multi-line logs would repeat it
    log: { level: ClickHouseLogLevel.OFF },
  });

  async function existingUuids(rows: readonly FlowRow[]): Promise<Set<string>> {
    const { min, max } = timeRange(rows);
    const rs = await client.query({
      query: storedUuidsSql(database, min, max).text,
      format: "JSONEachRow",
    });
    const found = await rs.json<{ uuid: string }>();
    return new Set(found.map((r) => r.uuid));
  }

  async function insertRows(rows: readonly FlowRow[], opts: InsertOptions = {}): Promise<InsertResult> {
    if (rows.length === 0) return { inserted: 0, skipped: 0 };
    let batch = rows;
    let repaired = 0;
    if (opts.skipExisting) {
      let have: Set<string>;
      try {
        have = await existingUuids(rows);
      } catch (err) {
        throw fail(`look up stored uuids for ${rows.length} rows in ${flowsTable}`, err);
      }
      if (have.size > 0) batch = rows.filter((r) => !have.has(r.uuid));
      if (batch.length < rows.length) {
        // Rows already stored may lack their rollup contribution (an earlier attempt stopped between the two parts).
        const range = timeRange(rows.filter((r) => have.has(r.uuid)));
        try {
          repaired = await repairRollup(client, database, range.min, range.max);
        } catch (err) {
          throw fail(`repair the rollup of ${rows.length - batch.length} stored rows in ${flowsTable}`, err);
        }
      }
    }
    if (batch.length > 0) {
      try {
        if (insertFormat === "JSONEachRow") {
          await client.insert({ table: flowsTable.text, values: batch as FlowRow[], format: "JSONEachRow" });
        } else {
          const body = Readable.from([Buffer.from(rowsToTsv(batch))], { objectMode: false });
          await client.insert({
            table: flowsTable.text,
            values: body,
            format: "TabSeparated",
            columns: [...FLOW_COLUMN_NAMES] as [string, ...string[]],
          });
        }
      } catch (err) {
        throw fail(`insert ${batch.length} rows into ${flowsTable}`, err);
      }
    }
    const result: InsertResult = { inserted: batch.length, skipped: rows.length - batch.length };
    if (repaired > 0) result.repaired = repaired;
    return result;
  }

  return {
    database,
    client,
    async migrate() {
      return migrate(client, database);
    },
    insertRows,
    async insertFlows(flows, opts) {
      return insertRows(
        flows.map((f) => flowToRow(f)),
        opts,
      );
    },
    async countFlows(where) {
      try {
        const rs = await client.query({ query: countFlowsSql(database, where).text, format: "JSONEachRow" });
        const [row] = await rs.json<{ n: string | number }>();
        return Number(row?.n ?? 0);
      } catch (err) {
        throw fail(`count flows in ${flowsTable}`, err);
      }
    },
    async dropPartitionsOlderThan(days, now = new Date()) {
      const perTable: RetentionDays = typeof days === "number" ? Object.fromEntries(PARTITIONED_TABLES.map((t) => [t, days])) : days;
      for (const d of Object.values(perTable))
        if (!Number.isFinite(d) || (d as number) < 0) throw new Error(`retention days must be a number >= 0, got ${d}`);
      // a day partition D is dropped when all of it is older than now - days: D < the cut-off day
      const cutoffOf = (table: string) => {
        const d = perTable[table as keyof RetentionDays];
        return d === undefined ? 0 : dayNumber(new Date(now.getTime() - d * 86_400_000));
      };
      let parts: { table: string; partition: string }[];
      try {
        const rs = await client.query({
          query: listPartitionsSql(database).text,
          format: "JSONEachRow",
        });
        parts = await rs.json<{ table: string; partition: string }>();
      } catch (err) {
        throw fail(`list partitions of ${database}`, err);
      }
      const dropped = new Set<string>();
      for (const { table, partition } of parts) {
        if (!/^\d{8}$/.test(partition) || Number(partition) >= cutoffOf(table)) continue;
        try {
          await client.command({ query: dropPartitionSql(database, table, partition).text });
        } catch (err) {
          throw fail(`drop partition ${partition} of ${database}.${table}`, err);
        }
        dropped.add(partition);
      }
      return [...dropped].sort();
    },
    async ping() {
      const r = await client.ping();
      return r.success;
    },
    async close() {
      await client.close();
    },
  };
}
