// The filter compiler the API is given (createApi's `filters`): the agreed @flowlens/flow-query interface.
// Declared here so the API builds without that package; at merge this file re-exports its types.
import type { Sql } from "@flowlens/clickhouse";

export interface FilterPosition {
  offset: number;
  line?: number;
  column?: number;
}

/** A parse error at a position (FilterSyntaxError of @flowlens/flow-query). */
export interface FilterSyntaxErrorLike extends Error {
  readonly position: FilterPosition;
}

/** The filter AST; the API never looks inside it. */
export type FilterExpr = unknown;

export interface FilterCompiler {
  /** Throws a FilterSyntaxError. */
  parseFilter(text: string): FilterExpr;
  /** `observe`-style query parameters (from-pod, verdict, …); throws a FilterSyntaxError naming the parameter. */
  hubbleParamsToExpr(params: Record<string, string[]>): FilterExpr | undefined;
  andExprs(...e: (FilterExpr | undefined)[]): FilterExpr | undefined;
  /** A WHERE fragment over the flows table's columns. */
  exprToSql(expr: FilterExpr): Sql;
  /** The error class parseFilter and hubbleParamsToExpr throw. */
  FilterSyntaxError: abstract new (...args: never[]) => FilterSyntaxErrorLike;
}
