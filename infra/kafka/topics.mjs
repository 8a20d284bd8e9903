// Creates the Flowlens topics from topics.json if they are missing (idempotent); grows partitions, never shrinks.
// Usage: node topics.mjs [BROKERS]; BROKERS defaults to $KAFKA_BROKERS or 127.0.0.1:$KAFKA_PORT (9092).
// KAFKA_FLOWS_PARTITIONS overrides the partitions of flowlens.flows.
import { readFileSync } from "node:fs";
import { Kafka, logLevel } from "kafkajs";

const spec = JSON.parse(readFileSync(new URL("./topics.json", import.meta.url), "utf8"));
if (process.env.KAFKA_FLOWS_PARTITIONS) spec["flowlens.flows"].partitions = Number(process.env.KAFKA_FLOWS_PARTITIONS);
const brokers = (process.argv[2] ?? process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? 9092}`).split(",");

const kafka = new Kafka({ clientId: "flowlens-topics", brokers, logLevel: logLevel.NOTHING, retry: { retries: 3 } });
const admin = kafka.admin();
try {
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  const missing = Object.keys(spec).filter((t) => !existing.has(t));
  if (missing.length) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: spec[topic].partitions,
        replicationFactor: 1,
        configEntries: Object.entries(spec[topic].configs).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  const present = Object.keys(spec).filter((t) => existing.has(t));
  if (present.length) {
    const { topics } = await admin.fetchTopicMetadata({ topics: present });
    const grow = topics
      .filter((t) => t.partitions.length < spec[t.name].partitions)
      .map((t) => ({ topic: t.name, count: spec[t.name].partitions }));
    if (grow.length) await admin.createPartitions({ topicPartitions: grow });
  }
  for (const t of Object.keys(spec)) {
    console.log(`kafka: topic ${t} ${missing.includes(t) ? "created" : "present"} (${spec[t].partitions} partitions)`);
  }
} catch (err) {
  console.error(`kafka: creating topics on ${brokers.join(",")} failed: ${err.message}; is the broker up (infra/kafka/kafka.sh wait)?`);
  process.exitCode = 1;
} finally {
  await admin.disconnect().catch(() => {});
}
