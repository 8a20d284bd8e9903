// The daemons' logger: pino with the same fields everywhere (level, time, service, msg, plus context
// fields), JSON when stderr is not a terminal, a human line when it is.
import { pino } from "pino";
import { prettyFactory } from "pino-pretty";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFields = Record<string, unknown>;

export interface Log {
  /** An info line (the shape every module that only reports takes: `log(msg)`). */
  (msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Logs msg the first time key is seen (a problem that repeats is told once); clear(key) re-arms it. */
  once(key: string, msg: string): void;
  clear(key: string): void;
  /** The same log with fields added to every line (e.g. { peer }). */
  child(fields: LogFields): Log;
}

export interface LogOptions {
  /** Daemon name, the `service` field of every line. */
  service: string;
  level?: LogLevel;
  /** Default: text on a terminal, JSON otherwise. */
  format?: "json" | "text";
  /** Where finished lines go (default: stderr, synchronous so a line before exit is not lost). */
  write?: (line: string) => void;
}

export function createLog(o: LogOptions): Log {
  const write = o.write ?? ((s: string) => process.stderr.write(s));
  const format = o.format ?? (process.stderr.isTTY ? "text" : "json");
  const pretty =
    format === "text"
      ? prettyFactory({ colorize: false, translateTime: "UTC:yyyy-mm-dd'T'HH:MM:ss.l'Z'", ignore: "pid,hostname,service" })
      : undefined;
  const logger = pino(
    {
      level: o.level ?? "info",
      base: { service: o.service },
      messageKey: "msg",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    { write: pretty ? (line: string) => write(pretty(line)) : write },
  );
  return wrap(logger);
}

function wrap(logger: pino.Logger): Log {
  const seen = new Set<string>();
  const at =
    (level: LogLevel) =>
    (msg: string, fields?: LogFields): void =>
      fields ? logger[level](fields, msg) : logger[level](msg);
  const log = at("info") as Log;
  log.debug = at("debug");
  log.info = at("info");
  log.warn = at("warn");
  log.error = at("error");
  log.once = (key, msg) => {
    if (seen.has(key)) return;
    seen.add(key);
    log(msg);
  };
  log.clear = (key) => {
    seen.delete(key);
  };
  log.child = (fields) => wrap(logger.child(fields));
  return log;
}

/** The first line of an error's message, without a stack. */
export function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}
