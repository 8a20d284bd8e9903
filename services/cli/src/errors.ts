// CLI error kinds: a usage error (exit 2) or a runtime error (exit 1), each one line for the user.

/** Bad flags or values; the user must change the command line. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly exitCode = 2;
}

/** The command was fine but running it failed (server unreachable, RPC error). */
export class RuntimeError extends Error {
  override readonly name = "RuntimeError";
  readonly exitCode = 1;
}

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;
