// Output formats for flows and stream events.

export { formatCompact } from "./compact.js";
export { dropReasonText, endpointNames, extensionText, flowSummary, flowType, identityText, policyNames, verdictText } from "./describe.js";
export { DICT_SEPARATOR, formatDict } from "./dict.js";
export { formatLostEvent, formatNodeStatus, formatNodeStatusDict, isNodeStatusWorthShowing, joinWithCutOff } from "./events.js";
export { formatJson } from "./json.js";
export type { FormatOptions } from "./options.js";
export type { FlowPrinter, OutputFormat, PrinterOptions } from "./printer.js";
export { createPrinter, isOutputFormat, OUTPUT_FORMATS } from "./printer.js";
export { alignColumns, formatTable, tableHeader, tableRow } from "./table.js";
export { rfc3339Nano, stampMilli, type TimeLayout } from "./timestamp.js";
