// Command-line flags of flowlens-l7proxy: --state-dir DIR and --log-level. Errors are one line and
// the usage, so the collector's log (which starts the proxy) says what was wrong.
import { daemonCommand, type LogLevel, logLevelOf } from "@flowlens/runtime";
import { InvalidArgumentError } from "commander";

export const USAGE = "usage: flowlens-l7proxy [--state-dir DIR] [--log-level debug|info|warn|error]   (default /var/lib/flowlens)";

export interface L7ProxyFlags {
  stateDir: string;
  logLevel: LogLevel;
}

function stateDirArg(v: string): string {
  if (!v) throw new InvalidArgumentError("--state-dir needs a directory");
  return v;
}

/** Parses argv; a bad flag throws an Error whose message is the one line to print. */
export function parseL7ProxyArgs(argv: string[]): L7ProxyFlags {
  const cmd = daemonCommand("flowlens-l7proxy", "Flowlens L7 proxy: serves every L7 endpoint named in DIR/l7/config.json")
    .option("--state-dir <dir>", "node-local state directory", stateDirArg, "/var/lib/flowlens")
    .configureOutput({ writeErr: () => {} }); // its own one-line errors below, not commander's
  try {
    cmd.parse(argv, { from: "user" });
  } catch (e) {
    const err = e as { code?: string; message: string };
    if (err.code === "commander.helpDisplayed") throw e;
    if (err.message.includes("--state-dir") && err.code !== "commander.unknownOption") throw new Error("--state-dir needs a directory");
    if (err.code === "commander.unknownOption") throw new Error(`unknown argument "${/'([^']+)'/.exec(err.message)?.[1]}"`);
    if (err.code === "commander.excessArguments") throw new Error(`unknown argument "${cmd.args[0]}"`);
    throw new Error(err.message.replace(/^error: /, ""));
  }
  return { stateDir: cmd.opts().stateDir, logLevel: logLevelOf(cmd) };
}
