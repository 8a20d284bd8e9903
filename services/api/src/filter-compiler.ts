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
  FilterSyntaxError: abstract new (
    ...args: never[]
  ) => FilterSyntaxErrorLike;
}

/** The error the placeholder compiler throws. */
export class FilterUnavailableError extends Error implements FilterSyntaxErrorLike {
  readonly position: FilterPosition = { offset: 0 };
}

/**
 * Until @flowlens/flow-query is wired in (merge of issue 10's q-filter part), index.ts serves with this
 * compiler: no filters at all, each refused with a 400 that says so. Unfiltered queries work.
 */
export const NO_FILTERS: FilterCompiler = {
  parseFilter() {
    throw new FilterUnavailableError("filter expressions are not available in this build (needs @flowlens/flow-query)");
  },
  hubbleParamsToExpr(params) {
    throw new FilterUnavailableError(`unknown parameter "${Object.keys(params)[0]}": filters are not available in this build`);
  },
  andExprs: (...e) => (e.every((x) => x === undefined) ? undefined : e.find((x) => x !== undefined)),
  exprToSql() {
    throw new Error("no filter compiler in this build");
  },
  FilterSyntaxError: FilterUnavailableError,
};
