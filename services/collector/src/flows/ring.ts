// Live ring of the most recent events (Hubble's ring buffer): fixed capacity, oldest overwritten,
// readers hold a sequence number and learn how many entries they missed.

export class LiveRing<T> {
  private readonly slots: (T | undefined)[];
  private readonly times: Float64Array;
  /** Sequence number of the next write; entry `s` lives in slot `s % capacity`. */
  private head = 0;
  private readonly listeners = new Set<() => void>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`ring capacity must be a positive integer, got ${capacity}`);
    this.slots = new Array(capacity);
    this.times = new Float64Array(capacity);
  }

  /** Total entries ever written. */
  get written(): number {
    return this.head;
  }
  /** Entries currently held. */
  get size(): number {
    return Math.min(this.head, this.capacity);
  }
  /** Oldest sequence number still held. */
  get oldest(): number {
    return Math.max(0, this.head - this.capacity);
  }

  push(entry: T, timeNs: number): void {
    const slot = this.head % this.capacity;
    this.slots[slot] = entry;
    this.times[slot] = timeNs;
    this.head++;
  }

  /** Wake followers; called once per batch, not per entry. */
  notify(): void {
    for (const l of this.listeners) l();
  }

  /** Readers following the ring now (GetFlows --follow streams). */
  get followers(): number {
    return this.listeners.size;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(seq: number): T | undefined {
    if (seq < this.oldest || seq >= this.head) return undefined;
    return this.slots[seq % this.capacity];
  }

  timeOf(seq: number): number {
    return this.times[seq % this.capacity];
  }

  /** First sequence number whose entry time is >= timeNs (binary search: times are in order, see sweep()). */
  seekTime(timeNs: number): number {
    let lo = this.oldest;
    let hi = this.head;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2); // sequence numbers outgrow 32 bits
      if (this.timeOf(mid) < timeNs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
