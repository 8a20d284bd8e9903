// Repairs the rollups after an insert whose outcome is unknown. ClickHouse writes an insert's flows part
// first and each materialized view's rollup part after it, as separate parts: a server stopped in between
// leaves rows in flows that a rollup never counted, and a retry that skips stored uuids would never count
// them. So a retry that finds stored rows re-derives those buckets of every rollup from flows FINAL and
// adds what each rollup lacks.
import type { ClickHouseClient } from "@clickhouse/client";
import { ROLLUP_SUM_COLUMNS as ROLLUP_SUMS, ROLLUPS, type RollupDef, rollupNamed, rollupSelectOf } from "./rollups.js";
import { qualified, Sql, sql } from "./sql.js";

type Cells = Map<string, { key: (string | number)[]; sums: bigint[] }>;

function def(table: string): RollupDef {
  const r = rollupNamed(table);
  if (!r) throw new Error(`no rollup ${table}`);
  return r;
}

/** The start of the bucket holding a 'YYYY-MM-DD hh:mm:ss' UTC time. */
function bucketOf(r: RollupDef, time: string): Sql {
  return raw(r.bucket(sql`toDateTime(${time}, 'UTC')`.text));
}

/** A rollup's per-cell sums for the buckets from minTime to maxTime ('YYYY-MM-DD hh:mm:ss' UTC, inclusive). */
export function rollupCellsSql(database: string, minTime: string, maxTime: string, table = "flows_minute"): Sql {
  const r = def(table);
  const t = r.timeColumn;
  const sums = ROLLUP_SUMS.map((c) => `sum(${c}) AS sum_${c}`).join(", ");
  return sql`SELECT toUnixTimestamp(${raw(t)}) AS ts, ${raw(r.keys.join(", "))}, ${raw(sums)} FROM ${qualified(database, r.table)} WHERE ${raw(t)} >= ${bucketOf(r, minTime)} AND ${raw(t)} <= ${bucketOf(r, maxTime)} GROUP BY ${raw([t, ...r.keys].join(", "))}`;
}

/** What a rollup should hold for the same buckets: its view's own query over flows FINAL (duplicates once). */
export function expectedCellsSql(database: string, minTime: string, maxTime: string, table = "flows_minute"): Sql {
  const r = def(table);
  const range = sql`${qualified(database, "flows")} FINAL WHERE time >= ${bucketOf(r, minTime)} AND time < ${bucketOf(r, maxTime)} + ${r.resolution}`;
  const sums = ROLLUP_SUMS.map((c) => `${c} AS sum_${c}`).join(", ");
  return sql`SELECT toUnixTimestamp(${raw(r.timeColumn)}) AS ts, ${raw(r.keys.join(", "))}, ${raw(sums)} FROM (${raw(rollupSelectOf(r, range.text))})`;
}

function raw(text: string): Sql {
  return new Sql(text);
}

function smaller(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

async function cells(client: ClickHouseClient, query: Sql, keys: readonly string[]): Promise<Cells> {
  const rs = await client.query({ query: query.text, format: "JSONEachRow" });
  const out: Cells = new Map();
  for (const r of await rs.json<Record<string, string | number>>()) {
    const key = [Number(r.ts), ...keys.map((k) => r[k])];
    out.set(JSON.stringify(key), { key, sums: ROLLUP_SUMS.map((c) => BigInt(r[`sum_${c}`])) });
  }
  return out;
}

/** Per cell and column, what flows FINAL has beyond the rollup (never negative). */
async function deficits(client: ClickHouseClient, database: string, minTime: string, maxTime: string, r: RollupDef): Promise<Cells> {
  // The rollup is read first: an insert landing meanwhile can only make the deficit look larger, never
  // hide one (its flows part is written before its rollup part); the caller's second look removes that.
  const have = await cells(client, rollupCellsSql(database, minTime, maxTime, r.table), r.keys);
  const want = await cells(client, expectedCellsSql(database, minTime, maxTime, r.table), r.keys);
  const out: Cells = new Map();
  for (const [id, w] of want) {
    const h = have.get(id)?.sums;
    const d = w.sums.map((v, i) => (h && h[i] >= v ? 0n : v - (h?.[i] ?? 0n)));
    if (d.some((v) => v > 0n)) out.set(id, { key: w.key, sums: d });
  }
  return out;
}

/**
 * Adds to every rollup what it lacks for the buckets from minTime to maxTime compared with flows FINAL;
 * returns the most flows added to any one rollup. A deficit counts only if two looks in a row see it (a
 * concurrent insert between its parts shows as a deficit once).
 */
export async function repairRollup(client: ClickHouseClient, database: string, minTime: string, maxTime: string): Promise<number> {
  let most = 0;
  for (const r of ROLLUPS) most = Math.max(most, await repairOne(client, database, minTime, maxTime, r));
  return most;
}

async function repairOne(client: ClickHouseClient, database: string, minTime: string, maxTime: string, r: RollupDef): Promise<number> {
  const first = await deficits(client, database, minTime, maxTime, r);
  if (first.size === 0) return 0;
  const second = await deficits(client, database, minTime, maxTime, r);
  const rows: Record<string, string | number>[] = [];
  let added = 0n;
  for (const [id, a] of first) {
    const b = second.get(id);
    if (!b) continue;
    const sums = a.sums.map((v, i) => smaller(v, b.sums[i]));
    if (!sums.some((v) => v > 0n)) continue;
    added += sums[0];
    // the bucket as a Unix timestamp (no time zone in between); UInt64 sums as decimal strings (may exceed 2^53)
    const row: Record<string, string | number> = { [r.timeColumn]: a.key[0] };
    r.keys.forEach((k, i) => {
      row[k] = a.key[i + 1];
    });
    ROLLUP_SUMS.forEach((c, i) => {
      row[c] = sums[i].toString();
    });
    rows.push(row);
  }
  if (rows.length > 0) await client.insert({ table: qualified(database, r.table).text, values: rows, format: "JSONEachRow" });
  return Number(added);
}

/**
 * Fills rollups created after the flows they summarize (an upgraded database): day by day over the raw
 * table, adds what each rollup lacks compared with flows FINAL. Idempotent (deficits only), so an
 * interrupted run is simply run again; returns the flows added per table.
 */
export async function backfillRollups(
  client: ClickHouseClient,
  database: string,
  tables: readonly string[],
): Promise<Record<string, number>> {
  const rs = await client.query({
    query: `SELECT toUInt32(min(time)) AS lo, toUInt32(max(time)) AS hi, count() AS n FROM ${qualified(database, "flows").text}`,
    format: "JSONEachRow",
  });
  const [span] = await rs.json<{ lo: number; hi: number; n: string }>();
  const added: Record<string, number> = Object.fromEntries(tables.map((t) => [t, 0]));
  if (!span || Number(span.n) === 0) return added;
  const text = (s: number) => new Date(s * 1000).toISOString().slice(0, 19).replace("T", " ");
  for (let day = Math.floor(Number(span.lo) / 86_400) * 86_400; day <= Number(span.hi); day += 86_400) {
    for (const t of tables) added[t] += await repairOne(client, database, text(day), text(day + 86_399), def(t));
  }
  return added;
}
