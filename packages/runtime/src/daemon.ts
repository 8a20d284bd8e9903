// How a daemon starts and stops: flags (exit 2 on bad ones), main (one line on failure; exit code by
// @flowlens/errors' rule: 2 for a UsageError in the cause chain, else 1),
// and a shutdown run once on SIGINT/SIGTERM.
import { readFileSync } from "node:fs";
import { EXIT_OK, EXIT_USAGE, exitCodeOf } from "@flowlens/errors";
import { createLog, type Log, type LogLevel } from "./log.js";

interface CommanderError {
  code?: string;
  message: string;
}

/**
 * Parses flags; prints one line (and the usage, when given) and exits 2 on a bad one (commander has
 * printed its own), 0 on --help.
 */
export function parseFlagsOrExit<T>(name: string, parse: () => T, usage?: string): T {
  try {
    return parse();
  } catch (e) {
    const err = e as CommanderError;
    // The CLI's rule (@flowlens/errors); anything that fails while reading flags is a usage error.
    if (exitCodeOf(e) === EXIT_OK) process.exit(EXIT_OK);
    if (!err.code?.startsWith("commander.")) process.stderr.write(`${name}: ${err.message}\n${usage ? `${usage}\n` : ""}`);
    process.exit(EXIT_USAGE);
  }
}

/**
 * Runs main; a failure before the daemon serves is one plain line `name: reason` on stderr and exit 1
 * (what a shell or systemd shows first), never a stack trace.
 */
export function runMain(name: string, main: () => Promise<void>, cleanup?: () => void): void {
  main().catch((e: Error) => {
    process.stderr.write(`${name}: ${e.message}\n`);
    cleanup?.();
    process.exit(exitCodeOf(e));
  });
}

/** Runs stop once on the first SIGINT or SIGTERM, then exits with code 0 (stop may be async). */
export function onShutdown(stop: (signal: NodeJS.Signals) => void | Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    Promise.resolve()
      .then(() => stop(signal))
      .finally(() => process.exit(0));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
}

/** The version in a package's package.json (url: new URL("../package.json", import.meta.url)). */
export function packageVersion(url: URL): string {
  return JSON.parse(readFileSync(url, "utf8")).version as string;
}

export interface Daemon<C> {
  cfg: C;
  log: Log;
  version: string;
}

/**
 * A daemon's start: its flags from argv (or exit 2), its logger at --log-level, and the version of
 * the package whose src/ or dist/ holds `moduleUrl` (the daemon's import.meta.url).
 */
export function startDaemon<C extends { logLevel: LogLevel }>(name: string, moduleUrl: string, parse: (argv: string[]) => C): Daemon<C> {
  const cfg = parseFlagsOrExit(name, () => parse(process.argv.slice(2)));
  const version = packageVersion(new URL("../package.json", moduleUrl));
  return { cfg, log: createLog({ service: name, level: cfg.logLevel }), version };
}
