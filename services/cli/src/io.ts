// What a command may touch in the outside world, injectable so tests run commands in-process.
import type { Readable, Writable } from "node:stream";

export interface CliIO {
  /** Input for `-f -`; absent means none (an empty input). */
  stdin?: Readable;
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
  /** Aborted on Ctrl-C; streaming commands stop quietly when it fires. */
  signal: AbortSignal;
}
