// Time-ordered merge of the nodes' flows (Hubble relay's sort buffer): items wait in a min-heap by
// flow time; when more than `capacity` wait, the oldest leaves. Unlike Hubble's, which drains only
// after a quiet period, a periodic drain also lets out whatever has waited `drainTimeoutMs`, so a
// steady trickle below `capacity` is never held back longer than that.

export interface SortBufferOptions<T> {
  capacity: number;
  drainTimeoutMs: number;
  timeOf(item: T): number;
  emit(item: T): void;
  /** Called after each push or drain that emitted something (wake readers once per batch). */
  flushed?(): void;
  now?(): number;
}

interface Slot<T> {
  item: T;
  time: number;
  arrived: number;
  /** Insertion order, so equal times leave in arrival order. */
  seq: number;
}

export class SortBuffer<T> {
  private readonly heap: Slot<T>[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: SortBufferOptions<T>) {
    if (!Number.isInteger(opts.capacity) || opts.capacity < 1)
      throw new Error(`sort buffer size must be a positive integer, got ${opts.capacity}`);
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.heap.length;
  }

  /** Starts the periodic drain (tests drive drain() by hand instead). */
  start(): void {
    this.timer ??= setInterval(() => this.drain(), Math.max(10, this.opts.drainTimeoutMs / 4));
    this.timer.unref();
  }

  push(item: T): void {
    this.insert({ item, time: this.opts.timeOf(item), arrived: this.now(), seq: this.seq++ });
    if (this.heap.length > this.opts.capacity) {
      this.opts.emit(this.pop().item);
      this.opts.flushed?.();
    }
  }

  /** Emits, in time order, everything up to and including the newest item that waited drainTimeoutMs. */
  drain(): void {
    const cutoff = this.now() - this.opts.drainTimeoutMs;
    let stale = 0;
    for (const s of this.heap) if (s.arrived <= cutoff) stale++;
    if (stale === 0) return;
    while (stale > 0) {
      const s = this.pop();
      if (s.arrived <= cutoff) stale--;
      this.opts.emit(s.item);
    }
    this.opts.flushed?.();
  }

  /** Emits everything (shutdown). */
  flush(): void {
    if (this.heap.length === 0) return;
    while (this.heap.length) this.opts.emit(this.pop().item);
    this.opts.flushed?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private less(a: Slot<T>, b: Slot<T>): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private insert(s: Slot<T>): void {
    const h = this.heap;
    h.push(s);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): Slot<T> {
    const h = this.heap;
    const top = h[0];
    const last = h.pop() as Slot<T>;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
