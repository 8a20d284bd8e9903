// @flowlens/flow: filters, output formats and time parsing shared by the collector, relay, API and CLI.
export * from "./filters/index.js";
export * from "./format/index.js";
export { parseTimeArg, parseDurationNs, parseRfc3339, TimeParseError } from "./time.js";
