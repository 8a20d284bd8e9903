// LibbpfError: an errno-carrying error whose message says what failed and what to do about it.
import { constants } from "node:os";

const codeByErrno = new Map<number, string>();
// Aliases share a number (ENOTSUP/EOPNOTSUPP, EAGAIN/EWOULDBLOCK): the first listed name wins.
for (const [name, value] of Object.entries(constants.errno)) if (!codeByErrno.has(value)) codeByErrno.set(value, name);
codeByErrno.set(524, "ENOTSUPP"); // kernel-internal "not supported", leaks out of some BPF commands

/** 'EPERM' for 1, 'E<n>' for numbers Node does not name. */
export function errnoCode(errno: number): string {
  return codeByErrno.get(errno) ?? `E${errno}`;
}

const errnoByCode = new Map<string, number>(Object.entries(constants.errno));

export function errnoOf(code: string): number {
  return errnoByCode.get(code) ?? 0;
}

const PRIVILEGE_HINT = "run as root or grant CAP_BPF and CAP_NET_ADMIN";

export class LibbpfError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly op: string;
  readonly hint: string;
  /** libbpf's last log lines (the verifier log for a failed load), '' when there were none. */
  readonly log: string;

  constructor(op: string, errno: number, hint: string, log = "", options?: ErrorOptions) {
    const code = errnoCode(errno);
    super(`${op}: ${code} — ${hint}${log ? `\n${log.trimEnd()}` : ""}`, options);
    this.name = "LibbpfError";
    this.errno = errno;
    this.code = code;
    this.op = op;
    this.hint = hint;
    this.log = log;
  }
}

/** Extra hints for one call site, by errno code; the generic ones apply otherwise. */
export type Hints = Partial<Record<string, string>>;

function genericHint(code: string, fallback: string): string {
  if (code === "EPERM") return PRIVILEGE_HINT;
  return fallback;
}

interface NativeFailure {
  errno?: unknown;
  libbpfLog?: unknown;
  message?: unknown;
}

/** Converts an error thrown by the binding into a LibbpfError for `op`; other errors pass through. */
export function toLibbpfError(op: string, err: unknown, hints: Hints = {}, withLog = false): unknown {
  const failure = err as NativeFailure | null;
  if (!failure || typeof failure.errno !== "number") return err;
  const errno = failure.errno;
  const code = errnoCode(errno);
  const nativeMessage = typeof failure.message === "string" ? failure.message : code;
  // The native message ends with strerror(): "load: Invalid argument".
  const reason = nativeMessage.slice(nativeMessage.lastIndexOf(": ") + 2).toLowerCase();
  const hint = hints[code] ?? genericHint(code, reason);
  const log = withLog && typeof failure.libbpfLog === "string" ? failure.libbpfLog : "";
  return new LibbpfError(op, errno, hint, log);
}

/** Runs a binding call, turning its failure into a LibbpfError naming `op`. */
export function call<T>(op: string, fn: () => T, hints?: Hints, withLog = false): T {
  try {
    return fn();
  } catch (err) {
    throw toLibbpfError(op, err, hints, withLog);
  }
}

export const HINTS = { privilege: PRIVILEGE_HINT } as const;
