// @flowlens/flow-query: the flow filter language (grammar.ts, fields.ts) and its compiler to ClickHouse SQL;
// Hubble query parameters and FlowFilters compile to the same AST with the live filter's meaning.

export { ORIENTED_FLOWS } from "./conditions.js";
export { type FilterPosition, FilterSyntaxError } from "./errors.js";
export { andExprs, type CondExpr, type CondOp, cond, type FilterExpr, fieldsOf, notExpr, orExprs } from "./expr.js";
export { ALIASES, FIELDS, type FieldDef, type FieldType, fieldNamed, SHORTHANDS, TYPE_OPS } from "./fields.js";
export { flowFiltersToExpr, flowFilterToExpr } from "./flow-filters.js";
export { MAX_DEPTH, MAX_FILTER_BYTES, MAX_IN_VALUES } from "./grammar.js";
export { HUBBLE_PARAM_NAMES, hubbleParamsToExpr, MAX_PARAM_VALUES } from "./hubble-params.js";
export { parseFilter } from "./parse.js";
export { exprToSql, fieldsOnRollup, MAX_SQL_BYTES } from "./sql.js";
export { exprToText } from "./text.js";
