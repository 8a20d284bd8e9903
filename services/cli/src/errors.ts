// CLI error kinds: a usage error (exit 2) or a runtime error (exit 1), each one line for the user. The
// kinds and the rule from an error to an exit code live in @flowlens/errors, shared with the daemons.
export { EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, exitCodeOf, findCause, RuntimeError, UsageError } from "@flowlens/errors";
