// What every aggregation route reads from its request: range, filter (expression and Hubble parameters,
// ANDed), dimensions; and the filter compiled for the table the picker chose.
import type { Sql } from "@flowlens/clickhouse";
import { ApiError } from "../errors.js";
import type { FilterCompiler, FilterExpr } from "../filter-compiler.js";
import { parseTimeRange, type TimeRange } from "../time-range.js";
import { DIMENSIONS, type Dimension, tablesWithDimension } from "./dimensions.js";

export const MAX_GROUP_BY = 3;
/** longest range of an aggregation (the hourly rollup keeps 400 days by default) */
export const MAX_AGG_RANGE_MS = 400 * 86_400_000;

function filterError(filters: FilterCompiler, what: string, e: unknown): unknown {
  if (e instanceof filters.FilterSyntaxError) return new ApiError("bad_request", `${what}: ${e.message}`, { position: e.position });
  return e;
}

/** The filter of a request: filter= text ANDed with the Hubble parameters (every query key not in `own`). */
export function requestFilter(
  filters: FilterCompiler,
  text: string | undefined,
  queries: Record<string, string[]>,
  own: ReadonlySet<string>,
): FilterExpr | undefined {
  const hubble: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(queries)) if (!own.has(k)) hubble[k] = v;
  let a: FilterExpr | undefined;
  let b: FilterExpr | undefined;
  try {
    a = text?.trim() ? filters.parseFilter(text) : undefined;
  } catch (e) {
    throw filterError(filters, "filter", e);
  }
  try {
    b = Object.keys(hubble).length > 0 ? filters.hubbleParamsToExpr(hubble) : undefined;
  } catch (e) {
    throw filterError(filters, "parameter", e);
  }
  return filters.andExprs(a, b);
}

/** Comma-separated dimensions, 0..max of them, each known and given once. */
export function parseDimensions(text: string | undefined, name: string, min: number, max = MAX_GROUP_BY): Dimension[] {
  const list = (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const d of list)
    if (!(DIMENSIONS as readonly string[]).includes(d))
      throw new ApiError("bad_request", `${name}: unknown dimension "${d.slice(0, 64)}" (one of ${DIMENSIONS.join(", ")})`);
  if (new Set(list).size !== list.length) throw new ApiError("bad_request", `${name}: a dimension is given twice`);
  if (list.length < min || list.length > max)
    throw new ApiError("bad_request", `${name}: ${min === max ? min : `${min} to ${max}`} dimensions, got ${list.length}`);
  return list as Dimension[];
}

/** Can `table` answer a query over these dimensions and this filter? */
export function fitsTable(filters: FilterCompiler, dims: readonly Dimension[], expr: FilterExpr | undefined) {
  return (table: string) =>
    dims.every((d) => tablesWithDimension(d).includes(table)) && (table === "flows" || filters.fieldsOnRollup(expr, table));
}

/** The filter as SQL over the chosen table's columns. */
export function filterSql(filters: FilterCompiler, expr: FilterExpr | undefined, table: string): Sql | undefined {
  if (expr === undefined) return undefined;
  try {
    // raw flows are read by connection (agg-sql.ts), as the rollups count them
    return filters.exprToSql(expr, table === "flows" ? "flows_oriented" : table);
  } catch (e) {
    throw filterError(filters, "filter", e);
  }
}

/** since/until of an aggregation: default the last hour, at most MAX_AGG_RANGE_MS. */
export function aggRange(since: string | undefined, until: string | undefined, now: Date): TimeRange {
  return parseTimeRange(since, until, now, 3_600_000, MAX_AGG_RANGE_MS);
}
