// @flowlens/errors: the error kinds of Flowlens commands and the one rule from an error to an exit code,
// for the flowlens CLI and every daemon's command line.

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

/** Bad flags or values; the user must change the command line. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly exitCode = EXIT_USAGE;
}

/** The command was fine but running it failed (server unreachable, RPC error). */
export class RuntimeError extends Error {
  override readonly name = "RuntimeError";
  readonly exitCode = EXIT_RUNTIME;
}

/** How deep a cause chain is followed (a chain that loops back on itself ends here). */
const MAX_CAUSES = 16;

/** The error and its causes, outermost first. */
export function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && chain.length < MAX_CAUSES && !chain.includes(e); e = (e as Error | null)?.cause) chain.push(e);
  return chain;
}

/** commander's own errors carry a code "commander.…"; help and version are not failures. */
function commanderCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("commander.") ? code : undefined;
}

/**
 * The exit code of a command that failed with `err`: 0 for help or version output, 2 for a usage error
 * (commander's or a UsageError anywhere in the cause chain), 1 for everything else.
 */
export function exitCodeOf(err: unknown): number {
  const commander = commanderCode(err);
  if (commander) return commander === "commander.helpDisplayed" || commander === "commander.version" ? EXIT_OK : EXIT_USAGE;
  for (const e of causeChain(err)) {
    if (e instanceof UsageError) return EXIT_USAGE;
    if (e instanceof RuntimeError) return EXIT_RUNTIME;
  }
  return EXIT_RUNTIME;
}

/** The first error of `kind` in the cause chain of `err`. */
export function findCause<T>(err: unknown, kind: abstract new (...args: never[]) => T): T | undefined {
  return causeChain(err).find((e): e is T => e instanceof kind);
}
