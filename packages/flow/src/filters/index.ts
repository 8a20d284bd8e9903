// Hubble-compatible flow filters: compileFilters plus the per-dimension builders and their shared test cases.

export { filterCaseTables } from "./cases.js";
export { compileFilter, compileFilters } from "./compile.js";
export { MessageType } from "./event-type.js";
export { destinationPort, sourcePort } from "./flow-fields.js";
export type { LabelOp, LabelRequirement, ParsedLabel } from "./label-selector.js";
export { parseLabel, parseLabelSelector, selectorMatches } from "./label-selector.js";
export { DEFAULT_CLUSTER_NAME } from "./node-name.js";
export { fqdnPatternSource, nodeNamePatternSource } from "./patterns.js";
export { parseNamespacedName } from "./pod.js";
export { filterBuilders } from "./registry.js";
export type { FilterBuilder, FilterCase, FilterCaseTable, FilterField, FlowPredicate, InvalidFilterCase } from "./types.js";
export { FilterError } from "./types.js";
