// Exponential backoff with jitter (reconnects, retries), and a sleep that a shutdown can cut short.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Each delay is multiplied by a random factor in [1 - jitter, 1] so clients do not retry in step. */
  jitter: number;
}

/** Delay before attempt number `attempt` (1-based): initial·2^(attempt-1), capped, minus up to jitter. */
export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(o.maxMs, o.initialMs * 2 ** Math.min(attempt - 1, 30));
  return Math.max(1, Math.round(exp * (1 - o.jitter * random())));
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 60_000, jitter: 0 };

/** Counts the attempts: next() is the delay before the next one, reset() after a good connection. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly opts: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    return backoffDelay(++this.attempt, this.opts, this.random);
  }

  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}

/** Resolves after ms, or early (false) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
