// The ingester: a kafkajs consumer group on the flows topic feeding the batch pipeline, dead letters, lag sampling.
import type { FlowStore } from "@flowlens/clickhouse";
import type { Admin, Consumer, EachBatchPayload, Kafka, Producer } from "kafkajs";
import { type DeadLetter, reasonKind, sendDeadLetters } from "./dead-letters.js";
import { sampleLag } from "./lag.js";
import type { IngesterMetrics } from "./metrics.js";
import { BatchPipeline } from "./pipeline.js";
import { recordToTsvRow } from "./record.js";
import { type TsvRow, tsvInserter } from "./tsv-rows.js";

export interface IngesterOptions {
  topic: string;
  dlqTopic: string;
  groupId: string;
  batchRows: number;
  batchMaxWaitMs: number;
  retryMaxBackoffMs: number;
  lagIntervalMs: number;
  sessionTimeoutMs: number;
}

export interface IngesterDeps {
  kafka: Kafka;
  store: Pick<FlowStore, "client" | "database">;
  options: IngesterOptions;
  metrics: IngesterMetrics;
  log(msg: string): void;
}

export interface Ingester {
  /** Joins the group and starts consuming; resolves once the consumer runs. */
  start(): Promise<void>;
  /** Stops fetching, stores and commits what is pending (up to timeoutMs), leaves the group. */
  stop(timeoutMs?: number): Promise<void>;
  readonly pendingRows: number;
  readonly paused: boolean;
}

// ClickHouse error codes that mean "these rows are bad" (parse and type errors), not "the server is unwell".
const DATA_ERROR_CODES = new Set(["6", "26", "27", "32", "38", "41", "53", "69", "70", "72", "117", "131", "349", "467"]);

/** Commit metadata written before an insert: "flowlens-inflight:<last offset the insert covers>". */
export const INFLIGHT_PREFIX = "flowlens-inflight:";

export function parseInflight(metadata: string | null | undefined): bigint | undefined {
  if (!metadata?.startsWith(INFLIGHT_PREFIX)) return undefined;
  const v = metadata.slice(INFLIGHT_PREFIX.length);
  return /^\d+$/.test(v) ? BigInt(v) : undefined;
}

/** Whether an insert error is ClickHouse refusing the data itself (then retrying the same rows is pointless). */
export function isDataError(e: unknown): boolean {
  for (let cur = e as { code?: unknown; cause?: unknown } | undefined, depth = 0; cur && depth < 4; depth++) {
    if (typeof cur.code === "string" && DATA_ERROR_CODES.has(cur.code)) return true;
    cur = cur.cause as typeof cur;
  }
  return false;
}

export function createIngester(deps: IngesterDeps): Ingester {
  const { kafka, store, options: o, metrics, log } = deps;
  const consumer: Consumer = kafka.consumer({
    groupId: o.groupId,
    // Records wait in the pipeline, not in fetch buffers: big fetches keep inserts large.
    maxBytesPerPartition: 16 * 1024 * 1024,
    maxBytes: 64 * 1024 * 1024,
    maxWaitTimeInMs: Math.min(500, o.batchMaxWaitMs),
    sessionTimeout: o.sessionTimeoutMs,
    heartbeatInterval: Math.max(100, Math.min(3000, Math.floor(o.sessionTimeoutMs / 3))),
    retry: { retries: 10, restartOnFailure: async () => true },
  });
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
  const admin: Admin = kafka.admin();
  let stopping = false;
  const maxPendingRows = 2 * o.batchRows;
  // Per partition: the highest offset that may be stored although it is not committed (from the
  // in-flight mark the previous owner committed as metadata before its insert). Reloaded on each join.
  const mayBeStoredThrough = new Map<number, bigint>();
  let marksLoaded: Promise<void> | undefined;
  // Partitions of the flows topic this member owns since its last join (undefined before the first).
  let assigned: Set<number> | undefined;
  const loadMarks = () =>
    (marksLoaded ??= admin.fetchOffsets({ groupId: o.groupId, topics: [o.topic] }).then(
      (groups) => {
        mayBeStoredThrough.clear();
        for (const p of groups.find((g) => g.topic === o.topic)?.partitions ?? []) {
          const through = parseInflight(p.metadata);
          if (through === undefined) continue;
          mayBeStoredThrough.set(p.partition, through);
          log(
            `partition ${p.partition}: offsets ${p.offset}..${through} may be stored already (in-flight mark); their inserts skip stored flows`,
          );
        }
      },
      (e: Error) => {
        marksLoaded = undefined;
        throw new Error(`read in-flight marks of group ${o.groupId}: ${e.message}`, { cause: e });
      },
    ));

  const insertTsv = tsvInserter(store);
  const pipeline = new BatchPipeline<TsvRow>({
    batchRows: o.batchRows,
    maxWaitMs: o.batchMaxWaitMs,
    maxPendingRows,
    backoff: { baseMs: 200, maxMs: o.retryMaxBackoffMs },
    async insert(rows, maybeStored) {
      await insertTsv(rows, maybeStored);
    },
    isDataError,
    async deadLetter(row, partition, offset, reason) {
      await dead([{ key: null, value: row.value, reason, topic: o.topic, partition, offset }]);
    },
    async markInflight(marks) {
      const entries = marks.map((m) => {
        const through = BigInt(m.through);
        const known = mayBeStoredThrough.get(m.partition) ?? -1n;
        // Keep an earlier owner's mark if it reaches further: those rows may be stored too.
        const mark = through > known ? through : known;
        mayBeStoredThrough.set(m.partition, mark);
        return { topic: o.topic, partition: m.partition, offset: m.from, metadata: `${INFLIGHT_PREFIX}${mark}` };
      });
      await consumer.commitOffsets(entries);
    },
    async commit(offsets) {
      await consumer.commitOffsets(
        offsets.map((x) => {
          // A mark beyond this commit (an earlier owner's insert) stays until the replay passes it.
          const mark = mayBeStoredThrough.get(x.partition);
          if (mark !== undefined && mark < BigInt(x.offset)) mayBeStoredThrough.delete(x.partition);
          const metadata = mark !== undefined && mark >= BigInt(x.offset) ? `${INFLIGHT_PREFIX}${mark}` : null;
          return { topic: o.topic, partition: x.partition, offset: x.offset, metadata };
        }),
      );
    },
    owns: (partition) => assigned === undefined || assigned.has(partition),
    pause: () => consumer.pause([{ topic: o.topic }]),
    resume: () => {
      if (!stopping) consumer.resume([{ topic: o.topic }]);
    },
    observer: metrics.pipeline,
    log,
  });

  async function dead(letters: DeadLetter[]): Promise<void> {
    try {
      await sendDeadLetters(producer, o.dlqTopic, letters);
    } catch (e) {
      metrics.deadLetterFailed();
      throw new Error(`send ${letters.length} dead letters to ${o.dlqTopic}: ${(e as Error).message}`, { cause: e });
    }
    for (const l of letters) {
      metrics.deadLettered(reasonKind(l.reason));
      log(`dead letter ${l.topic}/${l.partition}@${l.offset}: ${l.reason}`);
    }
  }

  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const rows: TsvRow[] = [];
    const offsets: string[] = [];
    const letters: DeadLetter[] = [];
    for (const m of batch.messages) {
      const r = recordToTsvRow(m.value);
      if (r.row) {
        rows.push(r.row);
        offsets.push(m.offset);
      } else {
        letters.push({ key: m.key, value: m.value, reason: r.reason, topic: batch.topic, partition: batch.partition, offset: m.offset });
      }
    }
    metrics.recordsConsumed(batch.messages.length);
    // Dead letters first: if Kafka refuses them, this throws before anything is resolved, and the batch is fetched again.
    await dead(letters);
    await loadMarks();
    const firstOffset = batch.messages[0].offset;
    const lastOffset = batch.messages[batch.messages.length - 1].offset;
    const maybeStored = BigInt(firstOffset) <= (mayBeStoredThrough.get(batch.partition) ?? -1n);
    pipeline.add({ partition: batch.partition, firstOffset, lastOffset, rows, offsets, maybeStored });
    // Moves the fetch position only; commits happen in the pipeline after the insert.
    resolveOffset(lastOffset);
    metrics.setPendingRows(pipeline.pendingRows);
    await pipeline.waitForRoom(heartbeat, Math.min(1000, Math.floor(o.sessionTimeoutMs / 3)));
  }

  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    marksLoaded = undefined;
    const parts = e.payload.memberAssignment[o.topic] ?? [];
    assigned = new Set(parts);
    log(`joined group ${o.groupId}: partitions ${parts.join(",") || "none"} of ${o.topic}`);
  });
  consumer.on(consumer.events.CRASH, (e) => log(`consumer crashed (restarting: ${e.payload.restart}): ${e.payload.error.message}`));

  let lagTimer: NodeJS.Timeout | undefined;
  let sampling = false;
  function scheduleLag(): void {
    lagTimer = setInterval(() => {
      if (sampling) return;
      sampling = true;
      sampleLag(admin, o.groupId, o.topic)
        .then((lag) => metrics.setLag(lag))
        .catch((e: Error) => log(`sample consumer lag: ${e.message}`))
        .finally(() => {
          sampling = false;
          metrics.setPendingRows(pipeline.pendingRows);
        });
    }, o.lagIntervalMs);
    lagTimer.unref();
  }

  return {
    get pendingRows() {
      return pipeline.pendingRows;
    },
    get paused() {
      return pipeline.paused;
    },
    async start() {
      await admin.connect();
      try {
        if (!(await admin.listTopics()).includes(o.dlqTopic))
          await admin.createTopics({ topics: [{ topic: o.dlqTopic, numPartitions: 1 }], waitForLeaders: true });
      } catch (e) {
        log(`create dead-letter topic ${o.dlqTopic}: ${(e as Error).message} (continuing; it may exist or be auto-created)`);
      }
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topics: [o.topic], fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch });
      scheduleLag();
    },
    async stop(timeoutMs = 10_000) {
      stopping = true;
      if (lagTimer) clearInterval(lagTimer);
      try {
        consumer.pause([{ topic: o.topic }]);
      } catch {
        // not running yet
      }
      const drained = await pipeline.drain(timeoutMs);
      if (!drained) log(`stopping with ${pipeline.pendingRows} rows not stored; their offsets stay uncommitted and are read again`);
      pipeline.close();
      await consumer.disconnect().catch(() => {});
      await producer.disconnect().catch(() => {});
      await admin.disconnect().catch(() => {});
    },
  };
}
