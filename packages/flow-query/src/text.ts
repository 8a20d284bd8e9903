// The filter AST back to filter-language text (what parseFilter reads), so a client can send FlowFilters
// (`observe` flags with --not) to the API's `filter=` with their exact meaning.
import type { CondExpr, FilterExpr } from "./expr.js";

const QUOTE_ESCAPES: Record<string, string> = { "\\": "\\\\", "'": "\\'", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0" };

/** A value as a single-quoted string literal (every value quoted: no bare word can be misread as a keyword). */
function quote(value: string): string {
  return `'${value.replace(/[\\'\n\t\r\0]/g, (c) => QUOTE_ESCAPES[c] ?? c)}'`;
}

function condText(c: CondExpr): string {
  if (c.op === "in" || c.op === "not in") return `${c.field} ${c.op.toUpperCase()} (${c.values.map(quote).join(", ")})`;
  return `${c.field} ${c.op === "like" ? "LIKE" : c.op} ${quote(c.values[0] ?? "")}`;
}

/** Filter text that parses back to an expression with the same meaning; an empty AND/OR has no text and throws. */
export function exprToText(expr: FilterExpr): string {
  switch (expr.kind) {
    case "cond":
      return condText(expr);
    case "not":
      return `NOT (${exprToText(expr.item)})`;
    default: {
      if (expr.items.length === 0) throw new Error(`an empty ${expr.kind.toUpperCase()} has no filter text`);
      const sep = expr.kind === "and" ? " AND " : " OR ";
      return expr.items.map((e) => (e.kind === "cond" ? exprToText(e) : `(${exprToText(e)})`)).join(sep);
    }
  }
}
