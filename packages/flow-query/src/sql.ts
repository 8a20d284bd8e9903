// A filter expression to a WHERE fragment over the `flows` table's columns.
import { Sql } from "@flowlens/clickhouse";
import { condToSql } from "./conditions.js";
import type { FilterExpr } from "./expr.js";

/** The expression as SQL text; throws FilterSyntaxError for a field, operator or value it cannot use. */
export function exprToSql(expr: FilterExpr): Sql {
  switch (expr.kind) {
    case "cond":
      return condToSql(expr);
    case "not":
      return new Sql(`NOT ${exprToSql(expr.item).text}`);
    case "and":
    case "or":
      // empty: AND of nothing is true, OR of nothing is false
      if (expr.items.length === 0) return new Sql(expr.kind === "and" ? "1" : "0");
      return new Sql(`(${expr.items.map((e) => exprToSql(e).text).join(expr.kind === "and" ? " AND " : " OR ")})`);
  }
}
