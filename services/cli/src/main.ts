// Runs the CLI once: parse, execute, and turn every failure into one stderr line and an exit code.
import { CommanderError } from "commander";
import type { CommandContext } from "./context.js";
import { EXIT_OK, EXIT_USAGE, exitCodeOf, findCause, RuntimeError } from "./errors.js";
import type { CliIO } from "./io.js";
import { Output } from "./output.js";
import { commandPath, createProgram } from "./program.js";

/**
 * Node's default warning printer, minus DEP0123: grpc-js names an IP target as the TLS server name
 * (then verified against the certificate's IP SAN), and that notice is not the user's to act on.
 */
function quietTlsIpNotice(): void {
  process.removeAllListeners("warning");
  process.on("warning", (w: Error & { code?: string }) => {
    if (w.code !== "DEP0123") process.stderr.write(`flowlens: ${w.name}: ${w.message}\n`);
  });
}

/** The real process: stdio, environment, Ctrl-C. */
export function processIO(): CliIO & { dispose(): void } {
  quietTlsIpNotice();
  const ac = new AbortController();
  const onSigint = () => {
    if (ac.signal.aborted) process.exit(130); // a second Ctrl-C while stopping
    ac.abort();
  };
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigint);
  // EPIPE can arrive after the command finished (`flowlens status | true`); the reader is gone, so drop it.
  const ignoreEpipe = (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
  };
  process.stdout.on("error", ignoreEpipe);
  process.stderr.on("error", ignoreEpipe);
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signal: ac.signal,
    dispose: () => {
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigint);
    },
  };
}

function oneLine(s: string): string {
  return s
    .replace(/^error: /, "")
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .join(" ");
}

/** The one stderr line for a failed command (none for help and version), by the same rule as its exit code. */
function failureLine(e: unknown, code: number, where: string): string | undefined {
  if (code === EXIT_OK || (e as CommanderError).code === "commander.help") return undefined; // help went to stderr already
  if (e instanceof CommanderError) return `${where}: ${oneLine(e.message)} (see '${where} --help')`;
  const message = (e as Error)?.message ?? String(e);
  if (code === EXIT_USAGE) return `${where}: ${message} (see '${where} --help')`;
  if (findCause(e, RuntimeError)) return `${where}: ${message}`;
  return `${where}: internal error: ${oneLine(message)}`;
}

/** Runs `flowlens <argv>` and resolves to the exit code: 0 ok, 1 runtime failure, 2 usage error. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const stop = new AbortController();
  const abort = () => stop.abort();
  io.signal.addEventListener("abort", abort, { once: true });
  const out = new Output(io.stdout);
  const err = new Output(io.stderr);
  // The reader of stdout went away (`flowlens observe | head`): stop quietly.
  const onStdoutError = (e: NodeJS.ErrnoException) => {
    out.closed = true;
    if (e.code !== "EPIPE") err.line(`flowlens: cannot write output: ${e.message}`);
    stop.abort();
  };
  io.stdout.on("error", onStdoutError);
  io.stderr.on("error", () => {
    err.closed = true;
  });
  const ctx: CommandContext = { io, out, err, signal: stop.signal };
  const program = createProgram(ctx);
  try {
    await program.parseAsync(argv, { from: "user" });
    return EXIT_OK;
  } catch (e) {
    if (stop.signal.aborted && (out.closed || io.signal.aborted)) return EXIT_OK;
    const code = exitCodeOf(e);
    const line = failureLine(e, code, commandPath(program, argv));
    if (line) err.line(line);
    return code;
  } finally {
    io.signal.removeEventListener("abort", abort);
    io.stdout.off("error", onStdoutError);
  }
}
