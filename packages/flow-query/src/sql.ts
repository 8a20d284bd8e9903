// A filter expression to a WHERE fragment over the `flows` table's columns.
import { Sql } from "@flowlens/clickhouse";
import { condToSql } from "./conditions.js";
import { FilterSyntaxError } from "./errors.js";
import { type FilterExpr, fieldsOf } from "./expr.js";
import { fieldNamed } from "./fields.js";

/** Largest WHERE fragment produced: ClickHouse refuses statements over max_query_size (256 KiB by default). */
export const MAX_SQL_BYTES = 128 * 1024;

function toSql(expr: FilterExpr, table: string): string {
  switch (expr.kind) {
    case "cond":
      return condToSql(expr, table).text;
    case "not":
      return `NOT ${toSql(expr.item, table)}`;
    case "and":
    case "or":
      // empty: AND of nothing is true, OR of nothing is false
      if (expr.items.length === 0) return expr.kind === "and" ? "1" : "0";
      return `(${expr.items.map((e) => toSql(e, table)).join(expr.kind === "and" ? " AND " : " OR ")})`;
  }
}

/**
 * The expression as SQL text over `flows` (or over a rollup's columns: fieldsOnRollup says which filters a
 * rollup can take; or over ORIENTED_FLOWS, raw flows with the rollup columns added); throws FilterSyntaxError for a field, operator or value it cannot use, or SQL too large.
 */
export function exprToSql(expr: FilterExpr, table = "flows"): Sql {
  const text = toSql(expr, table);
  if (text.length > MAX_SQL_BYTES) {
    throw new FilterSyntaxError(`filter too large: it compiles to ${text.length} bytes of SQL, at most ${MAX_SQL_BYTES}`, { offset: 0 });
  }
  return new Sql(text);
}

/** True when every field the expression reads is a column of the rollup `table` (then exprToSql(expr, table) works). */
export function fieldsOnRollup(expr: FilterExpr | undefined, table: string): boolean {
  for (const name of fieldsOf(expr)) if (!fieldNamed(name)?.rollupTables?.includes(table)) return false;
  return true;
}
