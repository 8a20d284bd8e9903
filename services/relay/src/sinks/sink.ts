// Where the relay exports the merged flows (Kafka or ClickHouse), behind one narrow interface, and
// the bounded buffer both use: flows wait there while the store is slow or down; beyond the bound
// (flows or bytes) new flows are dropped and counted, so memory never grows without limit.

import { Backoff } from "@flowlens/runtime";
import type { RelayFlow } from "../merge/relay-flow.js";

export interface SinkStats {
  bufferedFlows: number;
  bufferedBytes: number;
  /** Flows the store acknowledged. */
  produced: number;
  /** Flows dropped because the buffer was full. */
  dropped: number;
  /** Failed deliveries (each retried). */
  errors: number;
  lastError: string;
}

export interface FlowSink {
  write(flow: RelayFlow): void;
  stats(): SinkStats;
  close(): Promise<void>;
}

export interface BufferOptions {
  maxFlows: number;
  maxBytes: number;
  /** Largest batch handed to deliver(). */
  batchFlows: number;
  /** How long a partial batch waits for more flows. */
  lingerMs: number;
  /** Retry delays after a failed delivery. */
  retryInitialMs: number;
  retryMaxMs: number;
}

export interface Delivery<F = RelayFlow> {
  /** Stores the batch; rejects to have it retried (the flows stay buffered meanwhile). */
  deliver(batch: F[]): Promise<void>;
  close(): Promise<void>;
}

export interface SinkHooks {
  dropped?(count: number): void;
  delivered?(count: number, seconds: number): void;
  failed?(error: Error): void;
}

export class BufferedSink implements FlowSink {
  // A deque as an array with a head index, compacted now and then.
  private queue: RelayFlow[] = [];
  private head = 0;
  /** Flows in batches being delivered: still in the buffer (and its bounds) until acknowledged. */
  private inFlight = 0;
  private bytes = 0;
  private produced = 0;
  private dropped = 0;
  private errors = 0;
  private lastError = "";
  private closing = false;
  private stopped = false;
  private readonly sleepers = new Set<() => void>();
  private readonly loops: Promise<void>[];
  private readonly deliveries: Delivery[];

  /** One worker per delivery: several batches in flight when several are given (e.g. one Kafka producer each). */
  constructor(
    delivery: Delivery | Delivery[],
    private readonly opts: BufferOptions,
    private readonly hooks: SinkHooks = {},
  ) {
    if (opts.maxFlows < 1 || opts.maxBytes < 1) throw new Error("export buffer bounds must be positive");
    this.deliveries = Array.isArray(delivery) ? delivery : [delivery];
    if (this.deliveries.length === 0) throw new Error("an export sink needs at least one delivery");
    this.loops = this.deliveries.map((d) => this.run(d));
  }

  /** Flows waiting to be taken into a batch. */
  get length(): number {
    return this.queue.length - this.head;
  }

  write(flow: RelayFlow): void {
    const size = flow.bytes.length;
    if (this.closing || this.length + this.inFlight >= this.opts.maxFlows || this.bytes + size > this.opts.maxBytes) {
      this.dropped++;
      this.hooks.dropped?.(1);
      return;
    }
    this.queue.push(flow);
    this.bytes += size;
    if (this.length >= this.opts.batchFlows) this.kick();
  }

  stats(): SinkStats {
    return {
      bufferedFlows: this.length + this.inFlight,
      bufferedBytes: this.bytes,
      produced: this.produced,
      dropped: this.dropped,
      errors: this.errors,
      lastError: this.lastError,
    };
  }

  /** Stops accepting flows, tries to deliver what is buffered for up to timeoutMs, then closes the stores. */
  async close(timeoutMs = 5000): Promise<void> {
    this.closing = true;
    this.kick();
    await Promise.race([Promise.all(this.loops), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    this.stopped = true;
    this.kick();
    await Promise.all(this.deliveries.map((d) => d.close()));
  }

  private kick(): void {
    for (const w of [...this.sleepers]) w();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.sleepers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  private take(): RelayFlow[] {
    const n = Math.min(this.length, this.opts.batchFlows);
    const batch = this.queue.slice(this.head, this.head + n);
    this.head += n;
    this.inFlight += n;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  private async run(delivery: Delivery): Promise<void> {
    const retry = new Backoff({ initialMs: this.opts.retryInitialMs, maxMs: this.opts.retryMaxMs, jitter: 0 });
    while (!this.stopped) {
      if (this.length === 0) {
        if (this.closing) return;
        await this.sleep(this.opts.lingerMs);
        continue;
      }
      if (this.length < this.opts.batchFlows && !this.closing) await this.sleep(this.opts.lingerMs);
      if (this.length === 0) continue; // another worker took it
      const batch = this.take();
      // The same worker retries its batch until the store takes it (or the sink is stopped).
      for (;;) {
        const t0 = process.hrtime.bigint();
        try {
          await delivery.deliver(batch);
          this.hooks.delivered?.(batch.length, Number(process.hrtime.bigint() - t0) / 1e9);
          break;
        } catch (e) {
          this.errors++;
          this.lastError = (e as Error).message;
          this.hooks.failed?.(e as Error);
          if (this.stopped) return;
          // Retries wait without being woken by new flows (those only fill the buffer meanwhile).
          await new Promise((r) => setTimeout(r, retry.next()));
        }
      }
      retry.reset();
      for (const f of batch) this.bytes -= f.bytes.length;
      this.inFlight -= batch.length;
      this.produced += batch.length;
    }
  }
}
