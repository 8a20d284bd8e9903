// Collapses a repeated log line (a client retrying against a dead server) into one line per window.

/** Returns a logger that writes a message the first time, then at most once per windowMs with a repeat count. */
export function collapseRepeats(log: (msg: string) => void, windowMs = 10_000, now: () => number = Date.now): (msg: string) => void {
  const seen = new Map<string, { at: number; suppressed: number }>();
  return (msg) => {
    const t = now();
    const s = seen.get(msg);
    if (s && t - s.at < windowMs) {
      s.suppressed++;
      return;
    }
    log(s?.suppressed ? `${msg} (repeated ${s.suppressed} more times)` : msg);
    seen.set(msg, { at: t, suppressed: 0 });
    // Bounded: forget lines not seen for a while.
    if (seen.size > 200) for (const [k, v] of seen) if (t - v.at >= windowMs) seen.delete(k);
  };
}
