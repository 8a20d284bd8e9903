// The SELECTs of the aggregation routes over a picked table: time range, filter, dimensions, one metric.
// Values reach the SQL only through the literal builder; names come from our own lists.
import { joinSql, ORIENTED, qualified, RAW_SUMS, rollupNamed, Sql, sql } from "@flowlens/clickhouse";
import type { Dimension, Metric } from "./dimensions.js";

export interface AggSource {
  database: string;
  table: string;
  sinceS: number;
  untilS: number;
  /** a WHERE fragment over that table's columns (for raw flows: over ORIENTED_FLOWS, orientedFlows below) */
  filter?: Sql;
}

function raw(text: string): Sql {
  return new Sql(text);
}

function timeColumn(table: string): string {
  return table === "flows" ? "time" : (rollupNamed(table)?.timeColumn ?? "time");
}

/** The metric as an aggregate over the table. */
export function metricSql(m: Metric, table: string): Sql {
  return raw(table === "flows" ? RAW_SUMS[m] : `sum(${m})`);
}

/**
 * Raw flows in the time range (FINAL: a replayed flow counts once) with every rollup key column added,
 * oriented by connection as the rollups are, so dimensions and filters mean the same on every table.
 */
function orientedFlows(s: AggSource): Sql {
  const keys = Object.entries(ORIENTED)
    .filter(([name, e]) => name !== e)
    .map(([name, e]) => `${e} AS ${name}`)
    .join(", ");
  return sql`(SELECT *, ${raw(keys)} FROM ${qualified(s.database, "flows")} FINAL WHERE time >= toDateTime(${s.sinceS}) AND time < toDateTime(${s.untilS}))`;
}

/** FROM … WHERE … of an aggregation. */
export function fromWhere(s: AggSource, extra?: Sql): Sql {
  const t = raw(timeColumn(s.table));
  const parts = [sql`${t} >= toDateTime(${s.sinceS}) AND ${t} < toDateTime(${s.untilS})`];
  if (s.filter) parts.push(sql`(${s.filter})`);
  if (extra) parts.push(extra);
  const from = s.table === "flows" ? orientedFlows(s) : qualified(s.database, s.table);
  return sql`FROM ${from} WHERE ${joinSql(parts, " AND ")}`;
}

function dimsSelect(dims: readonly Dimension[]): Sql {
  return raw(dims.join(", "));
}

/** Totals per dimension tuple (metric m as m_<m>: an alias equal to a raw column would be cyclic), largest first, at most `limit` rows. */
export function totalsSql(s: AggSource, dims: readonly Dimension[], metrics: readonly Metric[], limit: number): Sql {
  const ms = joinSql(
    metrics.map((m) => sql`${metricSql(m, s.table)} AS ${raw(`m_${m}`)}`),
    ", ",
  );
  if (dims.length === 0) return sql`SELECT ${ms} ${fromWhere(s)}`;
  const order = raw([`m_${metrics[0]} DESC`, ...dims].join(", "));
  return sql`SELECT ${dimsSelect(dims)}, ${ms} ${fromWhere(s)} GROUP BY ${raw(dims.join(", "))} ORDER BY ${order} LIMIT ${limit}`;
}

/** One metric per bucket of `stepS` seconds (t = bucket start, unix seconds), per dimension tuple in `only` when given. */
export function seriesSql(
  s: AggSource,
  stepS: number,
  metric: Metric,
  dims: readonly Dimension[],
  only?: readonly (string | number)[][],
): Sql {
  const t = raw(timeColumn(s.table));
  const bucket = sql`intDiv(toUInt32(${t}), ${stepS}) * ${stepS}`;
  let extra: Sql | undefined;
  if (dims.length > 0 && only) {
    // the tuple of dimension expressions IN a list of literal tuples
    const lhs = raw(`(${dims.join(", ")})`);
    const tuples = only.map(
      (vals) =>
        sql`(${joinSql(
          vals.map((v) => sql`${v}`),
          ", ",
        )})`,
    );
    extra = sql`${lhs} IN (${joinSql(tuples, ", ")})`;
  }
  const select = dims.length > 0 ? sql`, ${dimsSelect(dims)}` : raw("");
  const group = dims.length > 0 ? raw(`, ${dims.join(", ")}`) : raw("");
  return sql`SELECT ${bucket} AS t${select}, ${metricSql(metric, s.table)} AS v ${fromWhere(s, extra)} GROUP BY t${group} ORDER BY t`;
}
