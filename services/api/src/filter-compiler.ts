// The filter compiler the API is given (createApi's `filters`): the part of @flowlens/flow-query it uses,
// as an interface so route tests can give it a small fake.
import type { Sql } from "@flowlens/clickhouse";
import {
  andExprs,
  type FilterExpr as Expr,
  exprToSql,
  type FilterPosition,
  FilterSyntaxError,
  fieldsOf,
  fieldsOnRollup,
  hubbleParamsToExpr,
  parseFilter,
} from "@flowlens/flow-query";
import { listableNames, type ValueSource, valueSource } from "./field-values.js";

export type { FilterPosition };

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
  /** A WHERE fragment over the flows table's columns, or a rollup's (when fieldsOnRollup says it can). */
  exprToSql(expr: FilterExpr, table?: string): Sql;
  /** Does the rollup `table` have every field the expression reads? */
  fieldsOnRollup(expr: FilterExpr | undefined, table: string): boolean;
  /** The catalog fields a filter reads (/filter/validate). */
  fieldsOf(expr: FilterExpr): string[];
  /** Where /values/{field} reads a field's values; undefined for a field it does not list. */
  valueSource(field: string): ValueSource | undefined;
  /** The names valueSource accepts. */
  listableFields(): string[];
  /** The error class parseFilter and hubbleParamsToExpr throw. */
  FilterSyntaxError: abstract new (
    ...args: never[]
  ) => FilterSyntaxErrorLike;
}

/** The real compiler: the filter language and Hubble's parameters over the flows table (@flowlens/flow-query). */
export const FLOW_QUERY: FilterCompiler = {
  parseFilter,
  hubbleParamsToExpr,
  andExprs,
  exprToSql: (e, table) => exprToSql(e as Expr, table),
  fieldsOnRollup: (e, table) => fieldsOnRollup(e as Expr | undefined, table),
  FilterSyntaxError,
  fieldsOf: (e) => [...fieldsOf(e as Parameters<typeof fieldsOf>[0])].sort(),
  valueSource,
  listableFields: listableNames,
};
