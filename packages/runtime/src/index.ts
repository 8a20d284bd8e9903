// @flowlens/runtime: what every Flowlens daemon runs on.
export { Backoff, type BackoffOptions, backoffDelay, DEFAULT_BACKOFF, sleep } from "./backoff.js";
export { type Daemon, onShutdown, packageVersion, parseFlagsOrExit, runMain, startDaemon } from "./daemon.js";
export {
  daemonCommand,
  flagsCommand,
  logLevelOf,
  metricsAddressArg,
  nonNegativeInt,
  normalizeListenAddress,
  positiveInt,
  splitHostPort,
  tlsFilesArg,
} from "./flags.js";
export {
  bindServer,
  drainedOrCancelled,
  listenGrpc,
  observerHealth,
  readPem,
  serverCredentials,
  type TlsFiles,
} from "./grpc-server.js";
export { createLog, LOG_LEVELS, type Log, type LogFields, type LogLevel, type LogOptions, reason } from "./log.js";
export { createDaemonRegistry, serveMetrics, serveMetricsAt } from "./metrics-server.js";
export { collapseRepeats } from "./repeats.js";
export { parseBytes, parseDurationMs, parsePositiveDurationMs } from "./units.js";
