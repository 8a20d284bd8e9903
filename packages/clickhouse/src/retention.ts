// Retention on a schedule: drop day partitions older than N days now and then every interval.
import type { FlowStore, RetentionDays } from "./store.js";

/** Days kept per table by default: raw 7, minute 30, 5-minute 90, hourly 400. */
export const DEFAULT_RETENTION_DAYS: RetentionDays = { flows: 7, flows_minute: 30, flows_5m: 90, flows_1h: 400 };

/** Retention settings. */
export interface RetentionOptions {
  /** Days kept: one number for every table, or per table (default DEFAULT_RETENTION_DAYS). */
  days?: number | RetentionDays;
  /** How often to check (default 1 h). */
  intervalMs?: number;
  /** Called with the days dropped by each run (only when something was dropped). */
  onDrop?: (days: string[]) => void;
  /** Called when a run fails; the schedule goes on. Default: one line on stderr. */
  onError?: (err: Error) => void;
}

/** A running retention schedule. */
export interface Retention {
  /** Runs once now (also what the timer does); resolves with the days dropped. */
  runOnce(): Promise<string[]>;
  stop(): void;
}

/** Starts retention: a first run right away, then one per interval. The timer does not keep the process alive. */
export function startRetention(store: Pick<FlowStore, "dropPartitionsOlderThan">, options: RetentionOptions = {}): Retention {
  const days = options.days ?? DEFAULT_RETENTION_DAYS;
  const intervalMs = options.intervalMs ?? 3_600_000;
  const onError = options.onError ?? ((err: Error) => process.stderr.write(`retention: ${err.message}\n`));
  let running: Promise<string[]> | undefined;

  async function runOnce(): Promise<string[]> {
    // one run at a time: a slow server must not stack up ALTERs
    running ??= store.dropPartitionsOlderThan(days).finally(() => {
      running = undefined;
    });
    const dropped = await running;
    if (dropped.length > 0) options.onDrop?.(dropped);
    return dropped;
  }

  const tick = () => runOnce().catch((err: unknown) => onError(err instanceof Error ? err : new Error(String(err))));
  void tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    runOnce,
    stop() {
      clearInterval(timer);
    },
  };
}
