// One line per problem: a timestamped logger, and `once` so a problem that repeats (a missing netns,
// a collector that is away) is told once until it goes away.

export interface Log {
  (line: string): void;
  /** Logs line the first time key is seen; clear(key) re-arms it. */
  once(key: string, line: string): void;
  clear(key: string): void;
}

export function createLog(write: (s: string) => void = (s) => process.stderr.write(s)): Log {
  const seen = new Set<string>();
  const log = ((line: string) => write(`${new Date().toISOString()} ${line}\n`)) as Log;
  log.once = (key, line) => {
    if (seen.has(key)) return;
    seen.add(key);
    log(line);
  };
  log.clear = (key) => {
    seen.delete(key);
  };
  return log;
}

/** The first line of an error's message, without a stack. */
export function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}
