// What every command gets: the IO, outputs, and the shared --server/--timeout/--tls* flags.

import { parseDurationNs, TimeParseError } from "@flowlens/flow";
import { DEFAULT_ADMIN_SOCKET } from "@flowlens/proto";
import type { ServiceDefinition } from "@grpc/grpc-js";
import { type Command, Option } from "commander";
import { UsageError } from "./errors.js";
import type { CliIO } from "./io.js";
import type { Output } from "./output.js";
import { parseServerAddress, type ServerAddress } from "./server-address.js";
import { addTlsOptions, type TlsOpts, transportFor } from "./tls-options.js";
import { CONNECT_TIMEOUT_MS, type Connection, dial, unary } from "./transport.js";

export interface CommandContext {
  io: CliIO;
  out: Output;
  err: Output;
  /** Aborted on Ctrl-C or when stdout's reader went away; streams stop quietly. */
  signal: AbortSignal;
}

/**
 * Hubble's ports: relay 4245 (observe, status, list), agent/collector 4244 (read-only policy and
 * endpoint commands); commands that change the node go to the collector's root-only admin socket.
 */
export const RELAY_DEFAULT = "localhost:4245";
export const COLLECTOR_DEFAULT = "localhost:4244";
export const ADMIN_DEFAULT = `unix:${DEFAULT_ADMIN_SOCKET}`;

/** relay: observe/status/list; collector: read-only policy/endpoint calls; admin: calls that change the node. */
export type ServerKind = "relay" | "collector" | "admin";

export interface ServerOpts extends TlsOpts {
  server?: string;
  timeout?: string;
}

const SERVER_HELP: Record<ServerKind, string> = {
  relay: `address of the relay or collector: HOST:PORT, tls://HOST:PORT or unix:/path (default ${RELAY_DEFAULT}, or $FLOWLENS_SERVER)`,
  collector: `address of the collector: HOST:PORT, tls://HOST:PORT or unix:/path (default ${COLLECTOR_DEFAULT}, or $FLOWLENS_COLLECTOR_SERVER)`,
  admin: `the collector's admin socket (root only), or HOST:PORT with an allow-listed mTLS client certificate (default ${ADMIN_DEFAULT}, or $FLOWLENS_ADMIN_SERVER)`,
};

const EXPECT: Record<ServerKind, string> = { relay: "relay or collector", collector: "collector", admin: "collector" };

export function addServerOptions(cmd: Command, which: ServerKind): Command {
  cmd
    .addOption(new Option("--server <address>", SERVER_HELP[which]))
    .addOption(new Option("--timeout <duration>", "how long to wait for the connection (default 5s)"));
  return addTlsOptions(cmd);
}

export function resolveServer(opts: ServerOpts, ctx: CommandContext, which: ServerKind): ServerAddress {
  const env = ctx.io.env;
  const fallback = {
    relay: env.FLOWLENS_SERVER || RELAY_DEFAULT,
    collector: env.FLOWLENS_COLLECTOR_SERVER || COLLECTOR_DEFAULT,
    admin: env.FLOWLENS_ADMIN_SERVER || ADMIN_DEFAULT,
  }[which];
  return parseServerAddress(opts.server ?? fallback);
}

/** Dials the server the flags name (address, deadline, TLS) and waits until it is ready. */
export function connect(ctx: CommandContext, opts: ServerOpts, which: ServerKind, definition: ServiceDefinition): Promise<Connection> {
  const server = resolveServer(opts, ctx, which);
  return dial(definition, server, {
    expect: EXPECT[which],
    timeoutMs: connectTimeoutMs(opts),
    transport: transportFor(opts, server.tls),
  });
}

export function connectTimeoutMs(opts: ServerOpts): number {
  if (opts.timeout === undefined) return CONNECT_TIMEOUT_MS;
  let cause: TimeParseError | undefined;
  try {
    const ms = Number(parseDurationNs(opts.timeout) / 1_000_000n);
    if (ms > 0) return ms;
  } catch (err) {
    if (!(err instanceof TimeParseError)) throw err;
    cause = err;
  }
  throw new UsageError(`invalid --timeout "${opts.timeout}": use a duration like 5s or 500ms`, { cause });
}

/** One unary call on its own connection to the server the flags name, closed afterwards. */
export async function callOnce<Res>(
  ctx: CommandContext,
  opts: ServerOpts,
  which: ServerKind,
  definition: ServiceDefinition,
  method: string,
  req: unknown,
): Promise<Res> {
  const conn = await connect(ctx, opts, which, definition);
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
