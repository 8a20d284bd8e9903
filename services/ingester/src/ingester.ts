// The ingester: a kafkajs consumer group on the flows topic feeding the batch pipeline, dead letters, lag sampling.
import type { FlowRow, FlowStore } from "@flowlens/clickhouse";
import type { Admin, Consumer, EachBatchPayload, Kafka, Producer } from "kafkajs";
import { type DeadLetter, reasonKind, sendDeadLetters } from "./dead-letters.js";
import { sampleLag } from "./lag.js";
import type { IngesterMetrics } from "./metrics.js";
import { BatchPipeline } from "./pipeline.js";
import { recordToRow } from "./record.js";

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
  store: Pick<FlowStore, "insertRows">;
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
  // Per partition: offsets below this may have been stored by an earlier member that did not commit
  // them (killed between insert and commit). Reset on every group join.
  const replayUntil = new Map<number, bigint>();

  const pipeline = new BatchPipeline<FlowRow>({
    batchRows: o.batchRows,
    maxWaitMs: o.batchMaxWaitMs,
    maxPendingRows,
    backoff: { baseMs: 200, maxMs: o.retryMaxBackoffMs },
    async insert(rows, maybeStored) {
      await store.insertRows(rows, { skipExisting: maybeStored });
    },
    isDataError,
    async deadLetter(row, partition, offset, reason) {
      await dead([{ key: null, value: Buffer.from(row.flow_pb, "base64"), reason, topic: o.topic, partition, offset }]);
    },
    async commit(offsets) {
      await consumer.commitOffsets(offsets.map((x) => ({ topic: o.topic, partition: x.partition, offset: x.offset })));
    },
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
      throw new Error(`send ${letters.length} dead letters to ${o.dlqTopic}: ${(e as Error).message}`);
    }
    for (const l of letters) {
      metrics.deadLettered(reasonKind(l.reason));
      log(`dead letter ${l.topic}/${l.partition}@${l.offset}: ${l.reason}`);
    }
  }

  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const rows: FlowRow[] = [];
    const offsets: string[] = [];
    const letters: DeadLetter[] = [];
    for (const m of batch.messages) {
      const r = recordToRow(m.value);
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
    const first = BigInt(batch.firstOffset() ?? batch.messages[0].offset);
    let until = replayUntil.get(batch.partition);
    if (until === undefined) {
      until = first + BigInt(maxPendingRows);
      replayUntil.set(batch.partition, until);
    }
    const lastOffset = batch.messages[batch.messages.length - 1].offset;
    pipeline.add({ partition: batch.partition, lastOffset, rows, offsets, maybeStored: first < until });
    // Moves the fetch position only; commits happen in the pipeline after the insert.
    resolveOffset(lastOffset);
    metrics.setPendingRows(pipeline.pendingRows);
    await pipeline.waitForRoom(heartbeat, Math.min(1000, Math.floor(o.sessionTimeoutMs / 3)));
  }

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
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        replayUntil.clear();
        const parts = e.payload.memberAssignment[o.topic] ?? [];
        log(`joined group ${o.groupId}: partitions ${parts.join(",") || "none"} of ${o.topic}`);
      });
      consumer.on(consumer.events.CRASH, (e) => log(`consumer crashed (restarting: ${e.payload.restart}): ${e.payload.error.message}`));
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
