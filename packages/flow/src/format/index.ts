// Output formats for flows and stream events.
export { createPrinter, isOutputFormat, OUTPUT_FORMATS } from "./printer.js";
export type { FlowPrinter, OutputFormat, PrinterOptions } from "./printer.js";
export type { FormatOptions } from "./options.js";
export { formatCompact } from "./compact.js";
export { formatDict, DICT_SEPARATOR } from "./dict.js";
export { formatJson } from "./json.js";
export { formatTable, tableHeader, tableRow, alignColumns } from "./table.js";
export { formatLostEvent, formatNodeStatus, formatNodeStatusDict, isNodeStatusWorthShowing, joinWithCutOff } from "./events.js";
export { endpointNames, flowSummary, flowType, identityText, verdictText, dropReasonText, policyNames, extensionText } from "./describe.js";
export { stampMilli, rfc3339Nano, type TimeLayout } from "./timestamp.js";
