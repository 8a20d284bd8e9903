// A filter expression to a WHERE fragment over the `flows` table's columns.
import { Sql } from "@flowlens/clickhouse";
import { condToSql } from "./conditions.js";
import { FilterSyntaxError } from "./errors.js";
import type { FilterExpr } from "./expr.js";

/** Largest WHERE fragment produced: ClickHouse refuses statements over max_query_size (256 KiB by default). */
export const MAX_SQL_BYTES = 128 * 1024;

function toSql(expr: FilterExpr): string {
  switch (expr.kind) {
    case "cond":
      return condToSql(expr).text;
    case "not":
      return `NOT ${toSql(expr.item)}`;
    case "and":
    case "or":
      // empty: AND of nothing is true, OR of nothing is false
      if (expr.items.length === 0) return expr.kind === "and" ? "1" : "0";
      return `(${expr.items.map(toSql).join(expr.kind === "and" ? " AND " : " OR ")})`;
  }
}

/** The expression as SQL text; throws FilterSyntaxError for a field, operator or value it cannot use, or SQL too large to send. */
export function exprToSql(expr: FilterExpr): Sql {
  const text = toSql(expr);
  if (text.length > MAX_SQL_BYTES) {
    throw new FilterSyntaxError(`filter too large: it compiles to ${text.length} bytes of SQL, at most ${MAX_SQL_BYTES}`, { offset: 0 });
  }
  return new Sql(text);
}
