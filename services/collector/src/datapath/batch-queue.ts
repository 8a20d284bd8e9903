// Between the ring-buffer reader and the decoder: batches are decoded in slices, one slice per
// turn of the event loop, so GetFlows streams get to send between slices instead of being lapped
// by one large batch. Bounded: past `maxRecords` waiting, whole batches are dropped and counted
// (Hubble's "observer events queue" loss).

export interface BatchSink {
  decodeBatch(buf: Buffer, offsets: Uint32Array, count: number): void;
}

interface Pending {
  buf: Buffer;
  offsets: Uint32Array;
  count: number;
  next: number;
}

export class BatchQueue {
  private readonly queue: Pending[] = [];
  private waiting = 0;
  private scheduled = false;
  /** Records dropped because the queue was full. */
  dropped = 0;

  constructor(
    private readonly sink: BatchSink,
    private readonly onDrop: (records: number) => void,
    private readonly sliceRecords = 1024,
    private readonly maxRecords = 262144,
    /** Asked before each slice: true to wait a moment (readers busy with their clients). */
    private readonly hold: () => boolean = () => false,
    private readonly onError?: (e: Error) => void,
  ) {}

  get pending(): number {
    return this.waiting;
  }

  push(buf: Buffer, offsets: Uint32Array, count: number): void {
    if (count === 0) return;
    if (this.waiting + count > this.maxRecords) {
      this.dropped += count;
      this.onDrop(count);
      return;
    }
    this.queue.push({ buf, offsets, count, next: 0 });
    this.waiting += count;
    this.schedule();
  }

  /** Decodes everything waiting now (shutdown, tests). */
  flush(): void {
    while (this.queue.length) this.slice(Number.POSITIVE_INFINITY);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.run());
  }

  private run(): void {
    if (this.hold()) {
      setTimeout(() => this.run(), 2);
      return;
    }
    this.scheduled = false;
    try {
      this.slice(this.sliceRecords);
    } catch (e) {
      // A slice that throws is dropped (counted) rather than taking the daemon down.
      const head = this.queue.shift();
      if (head) {
        const rest = head.count - head.next;
        this.waiting -= rest;
        this.dropped += rest;
        this.onDrop(rest);
      }
      this.onError?.(e as Error);
    }
    if (this.queue.length) this.schedule();
  }

  private slice(budget: number): void {
    const head = this.queue[0];
    if (!head) return;
    const n = Math.min(budget, head.count - head.next);
    this.sink.decodeBatch(head.buf, head.offsets.subarray(head.next, head.next + n), n);
    head.next += n;
    this.waiting -= n;
    if (head.next >= head.count) this.queue.shift();
  }
}
