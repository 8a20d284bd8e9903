// Lets GetFlows streams that are waiting on their client hold back decoding for a short while,
// so a burst (an idle sweep ending thousands of flows at once) waits in the bounded batch queue
// instead of lapping them in the live ring. A budget caps how long they may do so: decoding is
// held at most `burstMs` in a row and `refillPerSecondMs` per second on average, so a slow client
// cannot stall the node — past the budget it is lapped and told so (LostEvent), as in Hubble.

export class DecodeBackpressure {
  private blocked = 0;
  private budgetMs: number;
  private lastCheck = performance.now();

  constructor(
    private readonly burstMs = 1000,
    private readonly refillPerSecondMs = 250,
  ) {
    this.budgetMs = burstMs;
  }

  /** A stream starts (true) or stops (false) waiting for its client. */
  streamWaiting(waiting: boolean): void {
    this.blocked += waiting ? 1 : -1;
  }

  /** Whether the decoder should wait now; spends budget while it does. */
  shouldHold(): boolean {
    const now = performance.now();
    const elapsed = now - this.lastCheck;
    this.lastCheck = now;
    if (this.blocked <= 0) {
      this.budgetMs = Math.min(this.burstMs, this.budgetMs + (elapsed * this.refillPerSecondMs) / 1000);
      return false;
    }
    this.budgetMs -= elapsed;
    return this.budgetMs > 0;
  }
}
