// @flowlens/flow: filters, output formats and time parsing shared by the collector, relay, API and CLI.
export * from "./filters/index.js";
