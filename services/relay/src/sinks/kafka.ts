// Kafka export: every flow to one topic as protobuf flow.Flow (extensions included), keyed by the
// connection so both directions share a partition; gzip batches, acks from all in-sync replicas,
// idempotent producers (kafkajs needs maxInFlightRequests 1 for it: each producer has one batch in
// flight, so several producers give several). kafkajs encodes every record in JavaScript, so the
// producers run in a worker thread (kafka-worker.ts): the relay's main thread only packs each batch
// into one transferable buffer and keeps reading its peers' streams.
import { promisify } from "node:util";
import { Worker } from "node:worker_threads";
import { gzip, unzip } from "node:zlib";
import type { KafkaAuth } from "@flowlens/credentials";
import kafkajs, { CompressionTypes, type ICustomPartitioner, Kafka, logLevel, type Producer } from "kafkajs";
import { connectionKey } from "./flow-key.js";
import { type PackedFlow, packBatch } from "./packed-batch.js";
import type { Delivery } from "./sink.js";

export interface KafkaOptions {
  brokers: string[];
  topic: string;
  clientId?: string;
  /** Idempotent producer (default true; kafkajs then allows one request in flight per broker). */
  idempotent?: boolean;
  compression?: "gzip" | "none";
  /** Per-request timeout toward the brokers. */
  requestTimeoutMs?: number;
  /** TLS and SASL toward the brokers (plain values: they cross into the worker thread). */
  auth?: KafkaAuth;
}

// gzip at level 1 instead of zlib's default 6: half the CPU per batch for a ratio within 6% of it
// (flows compress ~7:1 either way). Still gzip: brokers and consumers read it as before. kafkajs keeps
// codecs in one registry per thread, so this holds for the producers of the thread that loads this module.
const gzipAsync = promisify(gzip);
const unzipAsync = promisify(unzip);
// (CompressionCodecs is not among the names Node's ESM loader finds in kafkajs: reach it through the default export.)
kafkajs.CompressionCodecs[CompressionTypes.GZIP] = () => ({
  compress: (encoder: { buffer: Buffer }) => gzipAsync(encoder.buffer, { level: 1 }),
  decompress: (buffer: Buffer) => unzipAsync(buffer),
});

const M = 0x5bd1e995;

/** Kafka's (Java client's) murmur2, as kafkajs' DefaultPartitioner computes it, in 32-bit integer math. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  switch (length & 3) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: murmur2 mixes the tail bytes cumulatively
    case 3:
      h ^= data[tail + 2] << 16;
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: as above
    case 2:
      h ^= data[tail + 1] << 8;
    case 1:
      h ^= data[tail];
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** kafkajs' DefaultPartitioner for keyed records (the same partition for the same key), without its 64-bit emulation. */
const keyPartitioner: ICustomPartitioner =
  () =>
  ({ partitionMetadata, message }) =>
    message.partition ?? (murmur2(message.key as Buffer) & 0x7fffffff) % partitionMetadata.length;

/** One producer in this thread: a delivery of flows (bytes + time) to the topic. */
export function kafkaDelivery(opts: KafkaOptions): Delivery<PackedFlow> {
  const kafka = new Kafka({
    clientId: opts.clientId ?? "flowlens-relay",
    brokers: opts.brokers,
    ...opts.auth,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: opts.requestTimeoutMs ?? 10_000,
    // Short inner retries: the buffered sink retries the batch with its own backoff while Kafka is down.
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
  });
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;

  const connected = (): Promise<Producer> => {
    if (producer) return Promise.resolve(producer);
    connecting ??= (async () => {
      const idempotent = opts.idempotent ?? true;
      const p = kafka.producer({
        idempotent,
        maxInFlightRequests: idempotent ? 1 : undefined,
        allowAutoTopicCreation: false,
        createPartitioner: keyPartitioner,
      });
      try {
        await p.connect();
      } catch (e) {
        await p.disconnect().catch(() => {});
        throw e;
      }
      producer = p;
      return p;
    })().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  return {
    async deliver(batch) {
      const p = await connected().catch((e: Error) => {
        throw new Error(`connect to Kafka ${opts.brokers.join(",")}: ${e.message}`, { cause: e });
      });
      try {
        await p.send({
          topic: opts.topic,
          acks: -1,
          compression: opts.compression === "none" ? CompressionTypes.None : CompressionTypes.GZIP,
          messages: batch.map((f) => ({
            key: Buffer.from(connectionKey(f.bytes)),
            value: Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength),
            timestamp: String(Math.floor(f.timeNs / 1e6)),
          })),
        });
      } catch (e) {
        // Start over with a fresh producer next time (its connections may be dead).
        producer = undefined;
        await p.disconnect().catch(() => {});
        throw new Error(`produce to Kafka topic ${opts.topic}: ${(e as Error).message}`, { cause: e });
      }
    },
    async close() {
      await producer?.disconnect().catch(() => {});
      producer = undefined;
    },
  };
}

/** What the main thread and the Kafka worker say to each other. */
export type ToWorker = { op: "send"; id: number; producer: number; buf: ArrayBuffer } | { op: "close" };
export type FromWorker = { op: "done"; id: number; error?: string } | { op: "closed" };
export interface WorkerConfig {
  opts: KafkaOptions;
  producers: number;
}

// The built worker beside this module; when this module runs from source (vitest, vite-node), the
// built one in dist (run the build first).
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith(".ts") ? new URL("../../dist/sinks/kafka-worker.js", here) : new URL("./kafka-worker.js", here);
}

/**
 * `producers` Kafka producers in one worker thread, one Delivery each (each has one batch in flight).
 * A worker that dies fails its batches (the sink retries them) and is started again on the next one.
 */
export function kafkaWorkerDeliveries(opts: KafkaOptions, producers: number): Delivery[] {
  let worker: Worker | undefined;
  let nextId = 0;
  const pending = new Map<number, { resolve(): void; reject(e: Error): void }>();
  let open = producers;
  let closed: Promise<void> | undefined;

  const failAll = (e: Error) => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  const started = (): Worker => {
    if (worker) return worker;
    const config: WorkerConfig = { opts, producers };
    const w = new Worker(workerUrl(), { workerData: config });
    w.on("message", (m: FromWorker) => {
      if (m.op !== "done") return;
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (pending.size === 0) w.unref();
      if (m.error === undefined) p?.resolve();
      else p?.reject(new Error(m.error));
    });
    w.on("error", (e) => {
      if (worker === w) worker = undefined;
      failAll(new Error(`kafka worker: ${e.message}`, { cause: e }));
    });
    w.on("exit", (code) => {
      if (worker === w) worker = undefined;
      failAll(new Error(`kafka worker exited (${code})`));
    });
    w.unref(); // held only while a batch is out (below): an idle worker must not keep a finished process alive
    worker = w;
    return w;
  };
  const shutdown = async () => {
    const w = worker;
    worker = undefined;
    if (!w) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 5000);
      w.on("message", (m: FromWorker) => {
        if (m.op === "closed") {
          clearTimeout(t);
          resolve();
        }
      });
      w.postMessage({ op: "close" } satisfies ToWorker);
    });
    await w.terminate();
  };

  return Array.from({ length: producers }, (_, producer) => ({
    deliver(batch) {
      if (closed) return Promise.reject(new Error("kafka delivery is closed"));
      const w = started();
      const buf = packBatch(batch);
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        w.ref();
        w.postMessage({ op: "send", id, producer, buf } satisfies ToWorker, [buf]);
      });
    },
    close() {
      // The worker goes when the last of its producers' deliveries is closed.
      if (--open === 0) closed ??= shutdown();
      return closed ?? Promise.resolve();
    },
  }));
}
