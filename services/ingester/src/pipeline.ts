// Batches consumed flows across partitions into large ClickHouse inserts and commits each partition's
// offset only after every flow below it is stored (at-least-once). Kafka and ClickHouse sit behind
// the small PipelineDeps interface so the rules are tested without servers.
import { setMaxListeners } from "node:events";
import { backoffDelay, sleep } from "@flowlens/runtime";

/** The rows of one consumed Kafka batch; offsets[i] is the record offset of rows[i]. */
export interface Chunk<R> {
  partition: number;
  /** Offset of the first record consumed in this batch (everything below it is stored or committed). */
  firstOffset: string;
  /** Offset of the last record consumed in this batch, stored rows or not (dead letters count too). */
  lastOffset: string;
  rows: R[];
  offsets: string[];
  /** Some of these records may already be stored (read again after a restart or a rebalance). */
  maybeStored?: boolean;
}

export interface PartitionOffset {
  partition: number;
  /** The next offset to read (last stored + 1), as Kafka commits it. */
  offset: string;
}

/** Before an insert: offsets from..through of a partition are about to be stored (through may be stored after a crash). */
export interface InflightMark {
  partition: number;
  from: string;
  through: string;
}

export interface PipelineObserver {
  batchStored(rows: number, seconds: number): void;
  insertFailed(kind: "transient" | "data"): void;
  retried(): void;
  committed(offsets: PartitionOffset[]): void;
  commitFailed(): void;
  paused(on: boolean): void;
}

export interface PipelineDeps<R> {
  batchRows: number;
  maxWaitMs: number;
  /** Consumption waits (with heartbeats) while this many rows are pending. */
  maxPendingRows: number;
  /** Insert retries: base·2^(n-1) up to max, 20% jitter. */
  backoff: { baseMs: number; maxMs: number };
  /** One insert; maybeStored asks the store to leave out rows it already has (replays, retries). */
  insert(rows: R[], maybeStored: boolean): Promise<void>;
  /** True when ClickHouse refused the data itself: retrying the same rows would fail forever. */
  isDataError(e: unknown): boolean;
  /** Rows ClickHouse refused one by one: to the dead-letter topic; must not resolve before they are there. */
  deadLetter(row: R, partition: number, offset: string, reason: string): Promise<void>;
  /** Records which offsets the next insert covers, before it runs; a failure holds the insert back. */
  markInflight(marks: InflightMark[]): Promise<void>;
  commit(offsets: PartitionOffset[]): Promise<void>;
  pause(): void;
  resume(): void;
  /** Whether this member still owns the partition; chunks of partitions it lost are dropped, not stored. */
  owns?(partition: number): boolean;
  observer: PipelineObserver;
  log(msg: string): void;
}

interface Pending<R> extends Chunk<R> {
  addedAt: number;
}

/** Thrown out of a flush when the pipeline is closed while ClickHouse still refuses the batch. */
export class PipelineClosedError extends Error {
  constructor() {
    super("ingester stopping: batch not stored, its offsets stay uncommitted");
  }
}

export class BatchPipeline<R> {
  private pending: Pending<R>[] = [];
  private rows = 0;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private roomWaiters: (() => void)[] = [];
  private draining = false;
  private readonly abort = new AbortController();
  private isPaused = false;
  /** Last error of the flush loop, surfaced to the caller of drain(). */
  private failure: Error | undefined;

  constructor(private readonly deps: PipelineDeps<R>) {
    // Every waiting consumer batch and retry sleep listens for close().
    setMaxListeners(0, this.abort.signal);
  }

  get pendingRows(): number {
    return this.rows;
  }

  get paused(): boolean {
    return this.isPaused;
  }

  /** Takes one consumed batch; never blocks (see waitForRoom). */
  add(chunk: Chunk<R>): void {
    if (this.abort.signal.aborted) return;
    this.pending.push({ ...chunk, addedAt: Date.now() });
    this.rows += chunk.rows.length;
    this.kick();
  }

  /** Waits while too many rows are pending, calling heartbeat regularly so the group keeps us. */
  async waitForRoom(heartbeat: () => Promise<void>, everyMs = 1000): Promise<void> {
    while (this.rows >= this.deps.maxPendingRows && !this.abort.signal.aborted) {
      const room = new Promise<void>((r) => this.roomWaiters.push(r));
      await Promise.race([room, sleep(everyMs, this.abort.signal)]);
      if (this.rows >= this.deps.maxPendingRows) await heartbeat();
    }
  }

  /** Stores and commits everything pending; false when it could not before the deadline. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    this.kick();
    const deadline = sleep(timeoutMs).then(() => false);
    const done = (async () => {
      while (this.flushing) await this.flushing;
      return this.pending.length === 0 && !this.failure;
    })();
    const ok = await Promise.race([done, deadline]);
    if (!ok) this.close();
    return ok;
  }

  /** Stops retrying and drops what is pending (uncommitted, so it is read again after a restart). */
  close(): void {
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.roomWaiters.splice(0)) w();
  }

  private due(): boolean {
    if (this.pending.length === 0) return false;
    if (this.draining || this.rows >= this.deps.batchRows) return true;
    return Date.now() - this.pending[0].addedAt >= this.deps.maxWaitMs;
  }

  private kick(): void {
    if (this.flushing || this.abort.signal.aborted) return;
    if (this.due()) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.flushing = this.flushLoop()
        .catch((e: Error) => {
          this.failure = e;
          if (!(e instanceof PipelineClosedError)) this.deps.log(`flush: ${e.message}`);
        })
        .finally(() => {
          this.flushing = undefined;
          this.kick();
        });
    } else if (this.pending.length > 0 && !this.timer) {
      const wait = Math.max(0, this.deps.maxWaitMs - (Date.now() - this.pending[0].addedAt));
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.kick();
      }, wait);
    }
  }

  /** Chunks, oldest first, up to batchRows rows; a chunk larger than that on its own is split. */
  private take(): Pending<R>[] {
    const taken: Pending<R>[] = [];
    let n = 0;
    const max = this.deps.batchRows;
    while (this.pending.length > 0) {
      const next = this.pending[0];
      if (this.deps.owns && !this.deps.owns(next.partition)) {
        // Its new owner reads these records from the committed offset; storing them here could
        // race that owner's replay past its in-flight marks.
        this.pending.shift();
        this.rows -= next.rows.length;
        continue;
      }
      if (taken.length === 0 && next.rows.length > max) {
        // The head part commits up to its own last row; the rest keeps the chunk's last offset.
        const head: Pending<R> = {
          ...next,
          rows: next.rows.slice(0, max),
          offsets: next.offsets.slice(0, max),
          lastOffset: next.offsets[max - 1],
        };
        this.pending[0] = {
          ...next,
          firstOffset: (BigInt(next.offsets[max - 1]) + 1n).toString(),
          rows: next.rows.slice(max),
          offsets: next.offsets.slice(max),
        };
        return [head];
      }
      if (taken.length > 0 && n + next.rows.length > max) break;
      taken.push(next);
      this.pending.shift();
      n += next.rows.length;
    }
    return taken;
  }

  private async flushLoop(): Promise<void> {
    for (let failures = 0; this.due() && !this.abort.signal.aborted; ) {
      const taken = this.take();
      if (taken.length === 0) {
        for (const w of this.roomWaiters.splice(0)) w();
        continue;
      }
      const rows: R[] = [];
      const origins: [number, string][] = [];
      let maybeStored = false;
      for (const c of taken) {
        maybeStored ||= c.maybeStored === true;
        for (let i = 0; i < c.rows.length; i++) {
          rows.push(c.rows[i]);
          origins.push([c.partition, c.offsets[i]]);
        }
      }
      const started = performance.now();
      try {
        if (rows.length > 0) {
          await this.deps.markInflight(inflightMarks(taken));
          await this.store(rows, origins, maybeStored || failures > 0);
        }
      } catch (e) {
        // Back to the front: nothing of a partition is committed past a batch that is not stored.
        this.pending.unshift(...taken);
        if (e instanceof PipelineClosedError) throw e;
        failures++;
        const delay = this.retryDelay(failures);
        this.deps.log(`store batch of ${rows.length} rows: ${firstLine(e)}; again in ${delay} ms`);
        if (!(await sleep(delay, this.abort.signal))) throw new PipelineClosedError();
        continue;
      }
      failures = 0;
      this.deps.observer.batchStored(rows.length, (performance.now() - started) / 1000);
      this.rows -= rows.length;
      for (const w of this.roomWaiters.splice(0)) w();
      await this.commit(taken);
    }
  }

  /** Inserts, splitting in halves when ClickHouse refuses the data so one bad row cannot block the rest. */
  private async store(rows: R[], origins: [number, string][], maybeStored: boolean): Promise<void> {
    const err = await this.insertRetrying(rows, maybeStored);
    if (err === undefined) return;
    if (rows.length === 1) {
      const [partition, offset] = origins[0];
      // A failure here (Kafka down) is retried by the flush loop with the whole batch: duplicates, not loss.
      await this.deps.deadLetter(rows[0], partition, offset, `ClickHouse refused the row: ${firstLine(err)}`);
      return;
    }
    const half = rows.length >>> 1;
    await this.store(rows.slice(0, half), origins.slice(0, half), maybeStored);
    await this.store(rows.slice(half), origins.slice(half), maybeStored);
  }

  /** Retries transient failures with backoff (consumption paused meanwhile); returns a data error. */
  private async insertRetrying(rows: R[], maybeStored: boolean): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        // A failed attempt may have been stored all the same (a timeout after the server took it).
        await this.deps.insert(rows, maybeStored || attempt > 1);
        this.setPaused(false);
        return undefined;
      } catch (e) {
        if (this.deps.isDataError(e)) {
          this.deps.observer.insertFailed("data");
          return e;
        }
        this.deps.observer.insertFailed("transient");
        this.setPaused(true);
        const delay = this.retryDelay(attempt);
        this.deps.log(`insert of ${rows.length} rows failed (${firstLine(e)}); retry ${attempt} in ${delay} ms`);
        if (!(await sleep(delay, this.abort.signal))) throw new PipelineClosedError();
        this.deps.observer.retried();
      }
    }
  }

  private async commit(taken: Pending<R>[]): Promise<void> {
    const last = new Map<number, bigint>();
    for (const c of taken) {
      const o = BigInt(c.lastOffset);
      if ((last.get(c.partition) ?? -1n) < o) last.set(c.partition, o);
    }
    const offsets = [...last].map(([partition, o]) => ({ partition, offset: (o + 1n).toString() }));
    try {
      await this.deps.commit(offsets);
      this.deps.observer.committed(offsets);
    } catch (e) {
      // The next batch commits a later offset of the same partitions; until then a restart re-reads
      // (duplicates the store hides), never skips.
      this.deps.observer.commitFailed();
      this.deps.log(`commit offsets: ${firstLine(e)}`);
    }
  }

  private retryDelay(attempt: number): number {
    return backoffDelay(attempt, { initialMs: this.deps.backoff.baseMs, maxMs: this.deps.backoff.maxMs, jitter: 0.2 });
  }

  private setPaused(on: boolean): void {
    if (on === this.isPaused) return;
    this.isPaused = on;
    if (on) this.deps.pause();
    else this.deps.resume();
    this.deps.observer.paused(on);
  }
}

/** Per partition: the lowest first offset and the highest last offset of the chunks in one batch. */
function inflightMarks<R>(chunks: Chunk<R>[]): InflightMark[] {
  const marks = new Map<number, { from: bigint; through: bigint }>();
  for (const c of chunks) {
    const from = BigInt(c.firstOffset);
    const through = BigInt(c.lastOffset);
    const m = marks.get(c.partition);
    if (!m) marks.set(c.partition, { from, through });
    else {
      if (from < m.from) m.from = from;
      if (through > m.through) m.through = through;
    }
  }
  return [...marks].map(([partition, m]) => ({ partition, from: m.from.toString(), through: m.through.toString() }));
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split("\n")[0].slice(0, 300);
}
