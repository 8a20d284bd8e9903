// The `flowlens` command tree: one file per command, wired here with shared output and error settings.
import { Command } from "commander";
import { endpointCommand } from "./commands/endpoint.js";
import { listCommand } from "./commands/list.js";
import { observeCommand } from "./commands/observe.js";
import { policyCommand } from "./commands/policy.js";
import { sqlCommand } from "./commands/sql.js";
import { statusCommand } from "./commands/status.js";
import type { CommandContext } from "./context.js";

export const VERSION = "0.1.0";

/** Applies output routing and "throw instead of exit" to a command and every subcommand (addCommand does not inherit). */
function configureTree(cmd: Command, ctx: CommandContext): void {
  cmd
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => ctx.out.write(s),
      writeErr: (s) => ctx.err.write(s),
      outputError: () => {}, // main prints the one-line error itself
    });
  for (const sub of cmd.commands) configureTree(sub, ctx);
}

export function createProgram(ctx: CommandContext): Command {
  const program = new Command("flowlens")
    .description("Flowlens: network flows of Linux hosts, Hubble-compatible")
    .version(VERSION, "-v, --version")
    .addCommand(observeCommand(ctx))
    .addCommand(statusCommand(ctx))
    .addCommand(listCommand(ctx))
    .addCommand(endpointCommand(ctx))
    .addCommand(policyCommand(ctx))
    .addCommand(sqlCommand(ctx));
  configureTree(program, ctx);
  return program;
}

/** The deepest command named on the command line, for "see 'flowlens observe --help'". */
export function commandPath(program: Command, argv: string[]): string {
  const names = [program.name()];
  let cmd = program;
  for (const arg of argv) {
    if (arg.startsWith("-")) continue;
    const sub = cmd.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) break;
    names.push(sub.name());
    cmd = sub;
  }
  return names.join(" ");
}
