// Flag parsers and the command every daemon starts from (commander), so each flag reads and fails alike.
import { Command, InvalidArgumentError, Option } from "commander";
import type { TlsFiles } from "./grpc-server.js";
import { LOG_LEVELS, type LogLevel } from "./log.js";

export function positiveInt(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got "${v}"`);
    return Number(v);
  };
}

export function nonNegativeInt(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be an integer >= 0, got "${v}"`);
    return Number(v);
  };
}

/** host:port (":4244" = all addresses), unix:/path or an absolute socket path. */
export function normalizeListenAddress(v: string): string {
  if (v.startsWith("unix:")) return v;
  if (v.startsWith("/")) return `unix:${v}`;
  const m = /^(.*):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65535) throw new InvalidArgumentError(`listen address "${v}" must be host:port or unix:/path`);
  return m[1] === "" ? `0.0.0.0:${m[2]}` : v;
}

/** host:port of a TCP listener ("" = none), split; ":9965" listens on every address. */
export function splitHostPort(v: string, flag: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65535) throw new InvalidArgumentError(`${flag} "${v}" must be host:port ("" disables)`);
  return { host: m[1] || "0.0.0.0", port: Number(m[2]) };
}

/** --metrics-address: host:port, or "" for none. */
export function metricsAddressArg(v: string): string {
  if (v !== "") splitHostPort(v, "--metrics-address");
  return v;
}

/** A command that exits through errors (the caller decides the code) after printing commander's own. */
export function flagsCommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showSuggestionAfterError();
}

/** A daemon's command: flagsCommand with --log-level. */
export function daemonCommand(name: string, description: string): Command {
  return flagsCommand(name, description).addOption(
    new Option("--log-level <level>", "least severe log level written").choices(LOG_LEVELS).default("info"),
  );
}

/** --log-level of a parsed daemonCommand. */
export function logLevelOf(cmd: Command): LogLevel {
  return cmd.opts().logLevel as LogLevel;
}

/** The three files of --<flag>-cert/-key/-ca: all or none. */
export function tlsFilesArg(flag: string, cert?: string, key?: string, ca?: string): TlsFiles | undefined {
  const given = [cert, key, ca].filter(Boolean).length;
  if (given === 0) return undefined;
  if (given !== 3) throw new Error(`${flag}-cert, ${flag}-key and ${flag}-ca go together: give all three or none`);
  return { cert: cert as string, key: key as string, ca: ca as string };
}
