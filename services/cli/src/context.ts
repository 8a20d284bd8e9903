// What every command gets: the IO, outputs, and the shared --server/--timeout flags.

import { parseDurationNs, TimeParseError } from "@flowlens/flow";
import type { ServiceDefinition } from "@grpc/grpc-js";
import { type Command, Option } from "commander";
import { UsageError } from "./errors.js";
import type { CliIO } from "./io.js";
import type { Output } from "./output.js";
import { parseServerAddress, type ServerAddress } from "./server-address.js";
import { CONNECT_TIMEOUT_MS, dial, unary } from "./transport.js";

export interface CommandContext {
  io: CliIO;
  out: Output;
  err: Output;
  /** Aborted on Ctrl-C or when stdout's reader went away; streams stop quietly. */
  signal: AbortSignal;
}

/** Hubble's ports: relay 4245 (observe, status, list), agent/collector 4244 (endpoint management). */
export const RELAY_DEFAULT = "localhost:4245";
export const COLLECTOR_DEFAULT = "localhost:4244";

export interface ServerOpts {
  server?: string;
  timeout?: string;
}

export function addServerOptions(cmd: Command, which: "relay" | "collector"): Command {
  const help =
    which === "relay"
      ? `address of the relay or collector: HOST:PORT or unix:/path (default ${RELAY_DEFAULT}, or $FLOWLENS_SERVER)`
      : `address of the collector: HOST:PORT or unix:/path (default ${COLLECTOR_DEFAULT}, or $FLOWLENS_COLLECTOR_SERVER)`;
  return cmd
    .addOption(new Option("--server <address>", help))
    .addOption(new Option("--timeout <duration>", "how long to wait for the connection (default 5s)"));
}

export function resolveServer(opts: ServerOpts, ctx: CommandContext, which: "relay" | "collector"): ServerAddress {
  const fallback =
    which === "relay" ? ctx.io.env.FLOWLENS_SERVER || RELAY_DEFAULT : ctx.io.env.FLOWLENS_COLLECTOR_SERVER || COLLECTOR_DEFAULT;
  return parseServerAddress(opts.server ?? fallback);
}

export function connectTimeoutMs(opts: ServerOpts): number {
  if (opts.timeout === undefined) return CONNECT_TIMEOUT_MS;
  try {
    const ms = Number(parseDurationNs(opts.timeout) / 1_000_000n);
    if (ms > 0) return ms;
  } catch (err) {
    if (!(err instanceof TimeParseError)) throw err;
  }
  throw new UsageError(`invalid --timeout "${opts.timeout}": use a duration like 5s or 500ms`);
}

/** One unary call on its own connection to the server the flags name, closed afterwards. */
export async function callOnce<Res>(
  ctx: CommandContext,
  opts: ServerOpts,
  which: "relay" | "collector",
  definition: ServiceDefinition,
  method: string,
  req: unknown,
): Promise<Res> {
  const server = resolveServer(opts, ctx, which);
  const expect = which === "relay" ? "relay or collector" : "collector";
  const conn = await dial(definition, server, { expect, timeoutMs: connectTimeoutMs(opts) });
  try {
    return await unary<unknown, Res>(conn, method, req);
  } finally {
    conn.close();
  }
}

/** Parses a non-negative integer flag value. */
export function countArg(flag: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim())) throw new UsageError(`invalid --${flag} "${value}": not a whole number`);
    return Number(value);
  };
}
