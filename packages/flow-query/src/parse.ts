// parseFilter: the grammar's AST, every field, operator and value checked by the SQL compiler before it is returned.
import type { FilterExpr } from "./expr.js";
import { parseFilterSyntax } from "./grammar.js";
import { exprToSql } from "./sql.js";

/** Parses and validates filter text; throws FilterSyntaxError with the position of the problem. */
export function parseFilter(text: string): FilterExpr {
  const expr = parseFilterSyntax(text);
  exprToSql(expr);
  return expr;
}
