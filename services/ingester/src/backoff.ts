// Exponential backoff with jitter for insert retries, and a sleep that a shutdown can cut short.

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/** Delay before retry number `attempt` (1-based): base·2^(attempt-1), capped, minus up to 20% jitter. */
export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(o.maxMs, o.baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.max(1, Math.round(exp * (1 - 0.2 * random())));
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
