// Repairs the per-minute rollup after an insert whose outcome is unknown. ClickHouse writes an insert's
// flows part first and the materialized view's flows_minute part after it, as two separate parts: a server
// stopped in between leaves rows in flows that the rollup never counted, and a retry that skips stored
// uuids would never count them. So a retry that finds stored rows re-derives those minutes from flows FINAL
// and adds what the rollup lacks.
import type { ClickHouseClient } from "@clickhouse/client";
import { ROLLUP_KEYS, ROLLUP_SUMS, rollupSelect } from "./schema.js";
import { qualified, Sql, sql } from "./sql.js";

type Cells = Map<string, { key: (string | number)[]; sums: bigint[] }>;

const KEYS = ROLLUP_KEYS.filter((k) => k !== "minute");

/** The rollup's per-cell sums for the minutes from minTime to maxTime ('YYYY-MM-DD hh:mm:ss' UTC, inclusive). */
export function rollupCellsSql(database: string, minTime: string, maxTime: string): Sql {
  const sums = ROLLUP_SUMS.map((c) => `sum(${c}) AS sum_${c}`).join(", ");
  return sql`SELECT toUnixTimestamp(minute) AS ts, ${raw(KEYS.join(", "))}, ${raw(sums)} FROM ${qualified(database, "flows_minute")} WHERE minute >= toStartOfMinute(toDateTime(${minTime}, 'UTC')) AND minute <= toStartOfMinute(toDateTime(${maxTime}, 'UTC')) GROUP BY ${raw(ROLLUP_KEYS.join(", "))}`;
}

/** What the rollup should hold for the same minutes: the view's own query over flows FINAL (duplicates once). */
export function expectedCellsSql(database: string, minTime: string, maxTime: string): Sql {
  const range = sql`${qualified(database, "flows")} FINAL WHERE time >= toStartOfMinute(toDateTime(${minTime}, 'UTC')) AND time < toStartOfMinute(toDateTime(${maxTime}, 'UTC')) + 60`;
  const sums = ROLLUP_SUMS.map((c) => `${c} AS sum_${c}`).join(", ");
  return sql`SELECT toUnixTimestamp(minute) AS ts, ${raw(KEYS.join(", "))}, ${raw(sums)} FROM (${raw(rollupSelect(range.text))})`;
}

function raw(text: string): Sql {
  return new Sql(text);
}

function smaller(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

async function cells(client: ClickHouseClient, query: Sql): Promise<Cells> {
  const rs = await client.query({ query: query.text, format: "JSONEachRow" });
  const out: Cells = new Map();
  for (const r of await rs.json<Record<string, string | number>>()) {
    const key = [Number(r.ts), ...KEYS.map((k) => r[k])];
    out.set(JSON.stringify(key), { key, sums: ROLLUP_SUMS.map((c) => BigInt(r[`sum_${c}`])) });
  }
  return out;
}

/** Per cell and column, what flows FINAL has beyond the rollup (never negative). */
async function deficits(client: ClickHouseClient, database: string, minTime: string, maxTime: string): Promise<Cells> {
  // The rollup is read first: an insert landing meanwhile can only make the deficit look larger, never
  // hide one (its flows part is written before its rollup part); the caller's second look removes that.
  const have = await cells(client, rollupCellsSql(database, minTime, maxTime));
  const want = await cells(client, expectedCellsSql(database, minTime, maxTime));
  const out: Cells = new Map();
  for (const [id, w] of want) {
    const h = have.get(id)?.sums;
    const d = w.sums.map((v, i) => (h && h[i] >= v ? 0n : v - (h?.[i] ?? 0n)));
    if (d.some((v) => v > 0n)) out.set(id, { key: w.key, sums: d });
  }
  return out;
}

/**
 * Adds to flows_minute what it lacks for the minutes from minTime to maxTime compared with flows FINAL;
 * returns the flows added. A deficit counts only if two looks in a row see it (a concurrent insert
 * between its two parts shows as a deficit once).
 */
export async function repairRollup(client: ClickHouseClient, database: string, minTime: string, maxTime: string): Promise<number> {
  const first = await deficits(client, database, minTime, maxTime);
  if (first.size === 0) return 0;
  const second = await deficits(client, database, minTime, maxTime);
  const rows: Record<string, string | number>[] = [];
  let added = 0n;
  for (const [id, a] of first) {
    const b = second.get(id);
    if (!b) continue;
    const sums = a.sums.map((v, i) => smaller(v, b.sums[i]));
    if (!sums.some((v) => v > 0n)) continue;
    added += sums[0];
    // minute as a Unix timestamp (no time zone in between); UInt64 sums as decimal strings (may exceed 2^53)
    const row: Record<string, string | number> = { minute: a.key[0] };
    KEYS.forEach((k, i) => {
      row[k] = a.key[i + 1];
    });
    ROLLUP_SUMS.forEach((c, i) => {
      row[c] = sums[i].toString();
    });
    rows.push(row);
  }
  if (rows.length > 0) await client.insert({ table: qualified(database, "flows_minute").text, values: rows, format: "JSONEachRow" });
  return Number(added);
}
