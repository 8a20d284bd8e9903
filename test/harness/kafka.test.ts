// The Kafka harness against the real broker: start-up time, topics, produce/consume with kafkajs, stop/start, destroy.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./collector.js";
import {
  countRecords,
  DLQ_TOPIC,
  FLOWS_TOPIC,
  KAFKA_DIR,
  type KafkaServer,
  kafkaClient,
  produceRecords,
  readRecords,
  startKafka,
} from "./kafka.js";
import { run, sleep, waitFor } from "./run.js";

describe("kafka harness", () => {
  let kafka: KafkaServer;

  beforeAll(async () => {
    kafka = await startKafka({ partitions: 3 });
    console.log(`kafka: broker answered ${kafka.startupMs} ms after launch (first start, storage formatted)`);
  });
  afterAll(async () => {
    await kafka?.destroy();
  });

  it("listens on loopback with the requested partitions and creates the topics idempotently", async () => {
    expect(kafka.brokers).toMatch(/^127\.0\.0\.1:\d+$/);
    await kafka.createTopics();
    await kafka.createTopics();
    const admin = kafkaClient(kafka.brokers).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [FLOWS_TOPIC, DLQ_TOPIC] });
      const parts = Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]));
      expect(parts).toEqual({ [FLOWS_TOPIC]: 3, [DLQ_TOPIC]: 1 });
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.map((b) => `${b.host}:${b.port}`)).toEqual([kafka.brokers]);
      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2, name: FLOWS_TOPIC, configNames: ["retention.ms"] }],
      });
      expect(configs.resources[0].configEntries[0].configValue).toBe("86400000");
      // auto.create.topics.enable=false: producing to an unknown topic fails, even when the client asks to create it.
      const producer = kafkaClient(kafka.brokers).producer({ allowAutoTopicCreation: true, retry: { retries: 1 } });
      await producer.connect();
      await expect(producer.send({ topic: "no.such.topic", messages: [{ value: "x" }] })).rejects.toThrow();
      await producer.disconnect();
      expect(await admin.listTopics()).not.toContain("no.such.topic");
    } finally {
      await admin.disconnect();
    }
  });

  it("produces and consumes keyed records; records with one key stay in one partition", async () => {
    const records = Array.from({ length: 30 }, (_, i) => ({ key: `conn-${i % 3}`, value: `flow-${i}` }));
    await produceRecords(kafka.brokers, FLOWS_TOPIC, records);
    expect(await countRecords(kafka.brokers, FLOWS_TOPIC)).toBe(30);
    const got = await readRecords(kafka.brokers, FLOWS_TOPIC, 30);
    expect(got.map((r) => r.value?.toString()).sort()).toEqual(records.map((r) => r.value).sort());
    const partitionOfKey = new Map<string, Set<number>>();
    for (const r of got) {
      const key = r.key?.toString() ?? "";
      partitionOfKey.set(key, (partitionOfKey.get(key) ?? new Set()).add(r.partition));
    }
    expect([...partitionOfKey.values()].every((s) => s.size === 1)).toBe(true);
  });

  it("keeps its data across stop and start on the same port, and a waiting producer gets through", async () => {
    await kafka.stop();
    expect(kafka.running()).toBe(false);
    // A producer that starts sending while the broker is down succeeds once it is back (kafkajs retries).
    const producer = kafkaClient(kafka.brokers).producer({
      retry: { retries: 20, initialRetryTime: 200, maxRetryTime: 1000 },
    });
    const sending = (async () => {
      await producer.connect();
      await producer.send({ topic: FLOWS_TOPIC, acks: -1, messages: [{ key: "late", value: "after-restart" }] });
    })();
    const t0 = performance.now();
    await kafka.start();
    console.log(`kafka: restart with existing data answered in ${Math.round(performance.now() - t0)} ms`);
    await sending;
    await producer.disconnect();
    expect(await countRecords(kafka.brokers, FLOWS_TOPIC)).toBe(31);
    const got = await readRecords(kafka.brokers, FLOWS_TOPIC, 31);
    expect(got.some((r) => r.value?.toString() === "after-restart")).toBe(true);
  });

  it("pause freezes the broker without closing it; resume lets requests through again", async () => {
    await kafka.pause();
    expect(kafka.running()).toBe(true);
    const admin = kafkaClient(kafka.brokers).admin();
    const listing = (async () => {
      await admin.connect();
      return admin.listTopics();
    })();
    const early = await Promise.race([listing.then(() => "answered"), sleep(1500).then(() => "hung")]);
    expect(early).toBe("hung");
    await kafka.resume();
    expect(await listing).toEqual(expect.arrayContaining([FLOWS_TOPIC, DLQ_TOPIC]));
    await admin.disconnect();
  });

  it("a crashed broker (SIGKILL) restarts with its data", async () => {
    await kafka.kill();
    expect(kafka.running()).toBe(false);
    await kafka.start();
    expect(await countRecords(kafka.brokers, FLOWS_TOPIC)).toBe(31);
  });

  it("destroy stops the broker and removes its data dir; a second destroy is harmless", async () => {
    const other = await startKafka();
    expect(other.port).not.toBe(kafka.port);
    expect(existsSync(other.dataDir)).toBe(true);
    await other.destroy();
    expect(other.running()).toBe(false);
    expect(existsSync(other.dataDir)).toBe(false);
    await other.destroy();
  });

  it("a broker whose owner process dies without cleaning up is stopped and its data dir removed", async () => {
    const owner = spawn("sleep", ["600"], { stdio: "ignore" });
    const dataDir = mkdtempSync(join(tmpdir(), "flowlens-kafka-owner-"));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KAFKA_DATA_DIR: dataDir,
      KAFKA_OWNER_PID: String(owner.pid),
      KAFKA_OWNER_REMOVES_DATA: "1",
    };
    const script = join(KAFKA_DIR, "kafka.sh");
    try {
      // Ports found free can be taken before the broker binds them: try new ones, as startKafka does.
      for (let attempt = 1; ; attempt++) {
        env.KAFKA_PORT = String(await freePort());
        env.KAFKA_CONTROLLER_PORT = String(await freePort());
        try {
          await run(["bash", script, "start"], { env });
          await run(["bash", script, "wait"], { env, timeoutMs: 90_000 });
          break;
        } catch (e) {
          if (attempt >= 3) throw e;
          await run(["bash", script, "stop"], { env, allowFail: true });
        }
      }
      const pid = Number(readFileSync(join(dataDir, "kafka.pid"), "utf8"));
      owner.kill("SIGKILL");
      await waitFor("the broker to stop after its owner died", async () => !alive(pid), 30_000);
      await waitFor("the data dir to be removed", async () => !existsSync(dataDir), 10_000);
    } finally {
      owner.kill("SIGKILL");
      await run(["bash", script, "stop"], { env, allowFail: true });
    }
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
