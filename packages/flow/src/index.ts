// @flowlens/flow: filters, output formats and time parsing shared by the collector, relay, API and CLI.

export * from "./cilium-names.js";
export * from "./filters/index.js";
export * from "./format/index.js";
export { parseDurationNs, parseRfc3339, parseTimeArg, TimeParseError } from "./time.js";
