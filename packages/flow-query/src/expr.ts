// The filter AST every input becomes (expression text, Hubble query parameters, FlowFilters) and its combinators.
import type { FilterPosition } from "./errors.js";

/** Comparison operators of a condition; "in" and "not in" take a list of values. */
export type CondOp = "=" | "!=" | "<" | "<=" | ">" | ">=" | "like" | "~" | "in" | "not in";

export interface CondExpr {
  kind: "cond";
  /** A catalog field name (fields.ts), shorthands already expanded. */
  field: string;
  op: CondOp;
  /** The values as text, validated against the field when compiled; one unless op is in / not in. */
  values: string[];
  /** Where the condition starts in the filter text, when it came from text. */
  position?: FilterPosition;
  /** Where each value starts, parallel to values. */
  valuePositions?: FilterPosition[];
}

export type FilterExpr =
  | { kind: "and"; items: FilterExpr[] }
  | { kind: "or"; items: FilterExpr[] }
  | { kind: "not"; item: FilterExpr }
  | CondExpr;

export function cond(field: string, op: CondOp, values: string[], position?: FilterPosition): CondExpr {
  return position ? { kind: "cond", field, op, values, position } : { kind: "cond", field, op, values };
}

function flatten(kind: "and" | "or", items: (FilterExpr | undefined)[]): FilterExpr | undefined {
  const out: FilterExpr[] = [];
  for (const e of items) {
    if (!e) continue;
    if (e.kind === kind) out.push(...e.items);
    else out.push(e);
  }
  // no expression at all: no constraint; only empty ones (AND of nothing = true, OR of nothing = false): keep one
  if (out.length === 0) return items.some((e) => e !== undefined) ? { kind, items: [] } : undefined;
  return out.length === 1 ? out[0] : { kind, items: out };
}

/** All of the expressions (undefined ones = no constraint); undefined when none is given. */
export function andExprs(...e: (FilterExpr | undefined)[]): FilterExpr | undefined {
  return flatten("and", e);
}

/** Any of the expressions; undefined when none is given. */
export function orExprs(...e: (FilterExpr | undefined)[]): FilterExpr | undefined {
  return flatten("or", e);
}

export function notExpr(e: FilterExpr): FilterExpr {
  return { kind: "not", item: e };
}

/** The catalog fields an expression reads (for table choice: a rollup serves it only if it has every one). */
export function fieldsOf(expr: FilterExpr | undefined, out: Set<string> = new Set()): Set<string> {
  if (!expr) return out;
  if (expr.kind === "cond") out.add(expr.field);
  else if (expr.kind === "not") fieldsOf(expr.item, out);
  else for (const e of expr.items) fieldsOf(e, out);
  return out;
}
