// observe's FlowFilters → the API's `filter=` text. Not Hubble query parameters: those AND every name, so they
// cannot say `--pod a --port 80` (a's port 80 on either side, paired) or `--not`; the filter language can, and
// flow-query's flowFiltersToExpr is the same FlowFilter→AST mapping the API applies to its parameters.

import { exprToText, FilterSyntaxError, flowFiltersToExpr, MAX_FILTER_BYTES } from "@flowlens/flow-query";
import type { FlowFilter } from "@flowlens/proto";
import { UsageError } from "./errors.js";

/** The filter text for the flows the filters select, or undefined when they select every flow. */
export function historyFilterText(filters: { whitelist: FlowFilter[]; blacklist: FlowFilter[] }): string | undefined {
  let expr: ReturnType<typeof flowFiltersToExpr>;
  try {
    expr = flowFiltersToExpr(filters.whitelist, filters.blacklist);
  } catch (err) {
    if (err instanceof FilterSyntaxError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
  if (!expr) return undefined;
  if (expr.kind !== "cond" && expr.kind !== "not" && expr.items.length === 0) {
    // an empty --not filter (match everything, then remove it): nothing is left
    throw new UsageError("these filters exclude every flow");
  }
  const text = exprToText(expr);
  if (Buffer.byteLength(text) > MAX_FILTER_BYTES) {
    throw new UsageError(
      `the filters are too long for the flow history (${Buffer.byteLength(text)} bytes as a filter, at most ${MAX_FILTER_BYTES})`,
    );
  }
  return text;
}
