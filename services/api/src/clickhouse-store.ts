// ApiStore on ClickHouse: the writer-side client for /flows and /status (with per-query limits), the
// read-only user's client for /sql (its profile holds the limits: readonly=1 refuses settings from us).
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { ident, qualified, sql } from "@flowlens/clickhouse";
import { clickhouseError } from "./errors.js";
import { flowsSelectSql } from "./flows-sql.js";
import type { ApiStore, SqlResult, StoredFlow, TableStatus } from "./store.js";

export interface QueryLimits {
  /** seconds */
  maxExecutionTime: number;
  maxMemoryUsage: number;
}

export interface ClickHouseStoreOptions {
  url: string;
  database: string;
  username: string;
  password: string;
  readerUsername: string;
  readerPassword: string;
  limits: QueryLimits;
  /** observes each query's duration (seconds) by kind */
  observe?: (kind: string, seconds: number) => void;
}

// Tables /status reports, with the column their time coverage is read from.
const STATUS_TABLES: Record<string, string> = { flows: "time", flows_minute: "minute", flows_5m: "bucket", flows_1h: "bucket" };

function client(url: string, username: string, password: string, timeoutMs: number): ClickHouseClient {
  return createClient({
    url,
    username,
    password,
    request_timeout: timeoutMs,
    clickhouse_settings: {},
    log: { level: ClickHouseLogLevel.OFF },
  });
}

export function createClickHouseStore(o: ClickHouseStoreOptions): ApiStore {
  const database = ident(o.database).text;
  // the HTTP timeout a little past the server's own limit, so the server's TIMEOUT_EXCEEDED usually wins
  const timeoutMs = (o.limits.maxExecutionTime + 5) * 1000;
  const writer = client(o.url, o.username, o.password, timeoutMs);
  const reader = client(o.url, o.readerUsername, o.readerPassword, timeoutMs);
  const settings = { max_execution_time: o.limits.maxExecutionTime, max_memory_usage: String(o.limits.maxMemoryUsage) };

  async function timed<T>(kind: string, run: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await run();
    } catch (e) {
      throw clickhouseError(e, kind === "sql");
    } finally {
      o.observe?.(kind, (performance.now() - start) / 1000);
    }
  }

  async function rowsOf<T>(query: string, extra: Record<string, string | number> = {}): Promise<T[]> {
    const rs = await writer.query({ query, format: "JSONEachRow", clickhouse_settings: { ...settings, ...extra } as never });
    return rs.json<T>();
  }

  return {
    database,
    queryFlows: (q) =>
      timed("flows", async () => {
        const rows = await rowsOf<{ unix_time: number; time_ns: number; uuid: string; flow_pb: string }>(
          flowsSelectSql(database, q.where, q.order, q.limit).text,
          { max_result_rows: q.limit, result_overflow_mode: "throw" },
        );
        return rows.map((r): StoredFlow => ({ time: Number(r.unix_time), time_ns: Number(r.time_ns), uuid: r.uuid, flow_pb: r.flow_pb }));
      }),
    readOnlySql: (query, maxRows) =>
      timed("sql", async () => {
        const rs = await reader.query({ query, format: "JSONEachRow" });
        const rows: Record<string, unknown>[] = [];
        let limitReached = false;
        // read rows until one past the cap, then stop the stream: the cap costs no more than it returns
        const stream = rs.stream();
        outer: for await (const batch of stream) {
          for (const row of batch as { json<T>(): T }[]) {
            if (rows.length >= maxRows) {
              limitReached = true;
              break outer;
            }
            rows.push(row.json<Record<string, unknown>>());
          }
        }
        if (limitReached) stream.destroy();
        const meta = rows.length > 0 ? Object.keys(rows[0]).map((name) => ({ name, type: typeof rows[0][name] })) : [];
        return { meta, rows, limitReached } satisfies SqlResult;
      }),
    aggregateRows: (kind, query) => timed(kind, () => rowsOf<Record<string, unknown>>(query.text)),
    aggregate: (query, maxRows) =>
      timed("aggregate", () => rowsOf<Record<string, unknown>>(query.text, { max_result_rows: maxRows, result_overflow_mode: "throw" })),
    status: () =>
      timed("status", async () => {
        const [v] = await rowsOf<{ v: string }>("SELECT version() AS v");
        const parts = await rowsOf<{ table: string; rows: string; bytes: string }>(
          sql`SELECT table, sum(rows) AS rows, sum(bytes) AS bytes FROM system.parts WHERE database = ${database} AND active GROUP BY table ORDER BY table`
            .text,
        );
        const tables: TableStatus[] = [];
        for (const [table, column] of Object.entries(STATUS_TABLES)) {
          const p = parts.find((r) => r.table === table);
          // a table without active parts is empty or missing: nothing to read
          const [range] = p
            ? await rowsOf<{ oldest: number; newest: number; n: string }>(
                `SELECT toUInt32(min(${ident(column).text})) AS oldest, toUInt32(max(${ident(column).text})) AS newest, count() AS n FROM ${qualified(database, table).text}`,
              )
            : [];
          const n = Number(range?.n ?? 0);
          const iso = (s: number) => new Date(Number(s) * 1000).toISOString();
          tables.push({
            table,
            rows: Number(p?.rows ?? 0),
            bytes: Number(p?.bytes ?? 0),
            oldest: n > 0 ? iso(range.oldest) : null,
            newest: n > 0 ? iso(range.newest) : null,
          });
        }
        return { version: v.v, database, tables };
      }),
    async ping() {
      try {
        return (await writer.ping()).success;
      } catch {
        return false;
      }
    },
    async close() {
      await Promise.all([writer.close(), reader.close()]);
    },
  };
}
