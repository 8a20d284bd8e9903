// Kafka export: every flow to one topic as protobuf flow.Flow (extensions included), keyed by the
// connection so both directions share a partition; gzip batches, acks from all in-sync replicas,
// idempotent producer (kafkajs needs maxInFlightRequests 1 for it, which our one-batch-at-a-time
// delivery loop does anyway, so it costs no throughput here).
import { CompressionTypes, Kafka, logLevel, type Producer } from "kafkajs";
import type { RelayFlow } from "../merge/relay-flow.js";
import { connectionKey } from "./flow-key.js";
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
  log?(msg: string): void;
}

export function kafkaDelivery(opts: KafkaOptions): Delivery {
  const kafka = new Kafka({
    clientId: opts.clientId ?? "flowlens-relay",
    brokers: opts.brokers,
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
      const p = kafka.producer({ idempotent, maxInFlightRequests: idempotent ? 1 : undefined, allowAutoTopicCreation: false });
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
    async deliver(batch: RelayFlow[]) {
      const p = await connected().catch((e: Error) => {
        throw new Error(`connect to Kafka ${opts.brokers.join(",")}: ${e.message}`);
      });
      try {
        await p.send({
          topic: opts.topic,
          acks: -1,
          compression: opts.compression === "none" ? CompressionTypes.None : CompressionTypes.GZIP,
          messages: batch.map((f) => ({
            key: connectionKey(f.bytes),
            value: Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength),
            timestamp: String(Math.floor(f.timeNs / 1e6)),
          })),
        });
      } catch (e) {
        // Start over with a fresh producer next time (its connections may be dead).
        producer = undefined;
        await p.disconnect().catch(() => {});
        throw new Error(`produce to Kafka topic ${opts.topic}: ${(e as Error).message}`);
      }
    },
    async close() {
      await producer?.disconnect().catch(() => {});
      producer = undefined;
    },
  };
}
