// Hubble-compatible flow filters: compileFilters plus the per-dimension builders and their shared test cases.
export { compileFilter, compileFilters } from "./compile.js";
export { filterBuilders } from "./registry.js";
export { filterCaseTables } from "./cases.js";
export { FilterError } from "./types.js";
export type { FilterBuilder, FilterCase, FilterCaseTable, FilterField, FlowPredicate, InvalidFilterCase } from "./types.js";
export { parseLabelSelector, parseLabel, selectorMatches } from "./label-selector.js";
export type { LabelRequirement, LabelOp, ParsedLabel } from "./label-selector.js";
export { parseNamespacedName } from "./pod.js";
export { MessageType } from "./event-type.js";
export { DEFAULT_CLUSTER_NAME } from "./node-name.js";
export { sourcePort, destinationPort } from "./flow-fields.js";
