// The table picker: the coarsest table whose resolution fits the requested step and that holds every
// column and the whole range the query needs; then since/until aligned to the step.
import { DEFAULT_RETENTION_DAYS, ROLLUPS } from "@flowlens/clickhouse";
import { ApiError } from "../errors.js";

export interface TableInfo {
  table: string;
  /** seconds per row (raw flows: 1) */
  resolution: number;
  /** days kept by retention */
  retentionDays: number;
}

export const MAX_POINTS = 10_000;
export const DEFAULT_POINTS = 120;

/** Raw flows and the rollups, finest first, with the retention the ingester applies by default. */
export function defaultTables(retention: Record<string, number | undefined> = DEFAULT_RETENTION_DAYS): TableInfo[] {
  return [
    { table: "flows", resolution: 1, retentionDays: retention.flows ?? 7 },
    ...ROLLUPS.map((r) => ({ table: r.table, resolution: r.resolution, retentionDays: retention[r.table] ?? Number.POSITIVE_INFINITY })),
  ];
}

export interface PickRequest {
  sinceMs: number;
  untilMs: number;
  nowMs: number;
  /** the step asked for (seconds), or */
  stepS?: number;
  /** the number of points asked for (default DEFAULT_POINTS) */
  points?: number;
  /** one total over the range (top, graph): since/until aligned to the table's resolution */
  totals?: boolean;
  /** can this table answer the query (its columns hold every dimension and filter field)? */
  fits: (table: string) => boolean;
  tables?: TableInfo[];
}

export interface Pick {
  table: string;
  /** seconds per bucket: a multiple of the table's resolution */
  stepS: number;
  /** aligned to the step: since down, until up (until exclusive) */
  sinceS: number;
  untilS: number;
  points: number;
  /** why this table (one line, for the response) */
  reason: string;
}

/** Picks the table and step; throws a 400 ApiError when the step or points are out of bounds. */
export function pickTable(q: PickRequest): Pick {
  const tables = q.tables ?? defaultTables();
  const rangeS = Math.max(1, Math.ceil((q.untilMs - q.sinceMs) / 1000));
  const target = q.totals ? rangeS : (q.stepS ?? Math.max(1, Math.ceil(rangeS / (q.points ?? DEFAULT_POINTS))));
  const fitting = tables.filter((t) => q.fits(t.table));
  if (fitting.length === 0) throw new ApiError("bad_request", "no table holds every column this query reads");
  // a table covers since when its retention reaches back that far
  const covering = fitting.filter((t) => q.sinceMs >= q.nowMs - t.retentionDays * 86_400_000);
  // nothing covers since: the table that reaches back furthest (the response says which)
  const pool = covering.length > 0 ? covering : [fitting.reduce((a, b) => (b.retentionDays > a.retentionDays ? b : a))];
  const fine = pool.filter((t) => t.resolution <= target);
  const table =
    fine.length > 0
      ? fine.reduce((a, b) => (b.resolution > a.resolution ? b : a))
      : pool.reduce((a, b) => (b.resolution < a.resolution ? b : a));
  const align = q.totals ? table.resolution : Math.max(table.resolution, Math.ceil(target / table.resolution) * table.resolution);
  const sinceS = Math.floor(q.sinceMs / 1000 / align) * align;
  const untilS = Math.max(sinceS + align, Math.ceil(q.untilMs / 1000 / align) * align);
  const stepS = q.totals ? untilS - sinceS : align;
  const points = (untilS - sinceS) / stepS;
  if (points > MAX_POINTS)
    throw new ApiError("bad_request", `step ${stepS}s gives ${points} points over this range; at most ${MAX_POINTS}: raise step`);
  const reason =
    covering.length === 0
      ? `no table keeps data back to since; ${table.table} reaches furthest (${table.retentionDays} days)`
      : `coarsest table with resolution <= ${target}s holding the columns and since`;
  return { table: table.table, stepS, sinceS, untilS, points, reason };
}
