// Ingester throughput: Kafka -> ClickHouse rows/s with the real broker, the real server and bin/flowlens-ingester.
// A backlog of synthetic flows (unique uuids) is produced first; then the ingester starts and the clock runs
// until every flow is counted (dedup-aware) in ClickHouse.
// Usage: npx vite-node bench/ingester.ts [-- --flows 500000 --partitions 6 --batch-rows 50000]
import { createFlowStore } from "@flowlens/clickhouse";
import { startClickHouse } from "../test/harness/clickhouse.ts";
import { kafkaClient, startKafka } from "../test/harness/kafka.ts";
import { startIngester } from "../test/ingester/daemon.ts";
import { flowRecord, syntheticFlow } from "../test/ingester/flows.ts";
import { fmt, parseFlags, result } from "./lib/args.mjs";
import { cpuSeconds, runBench, sleep } from "./lib/env.ts";

const TARGET = 100_000;
const opts = parseFlags({ flows: 500_000, partitions: 6, batchRows: 50_000, batchMaxWait: "1s" });

runBench("ingester", async () => {
  const [kafka, ch] = await Promise.all([startKafka({ partitions: opts.partitions }), startClickHouse()]);
  const topic = "bench.flows";
  try {
    const admin = kafkaClient(kafka.brokers).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: opts.partitions }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafkaClient(kafka.brokers).producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const t0 = performance.now();
    const now = Date.now();
    for (let i = 0; i < opts.flows; i += 10_000) {
      const n = Math.min(10_000, opts.flows - i);
      const messages = Array.from({ length: n }, (_, j) => flowRecord(syntheticFlow(i + j, now - (opts.flows - i - j))));
      await producer.send({ topic, acks: -1, messages });
    }
    await producer.disconnect();
    const produceS = (performance.now() - t0) / 1000;
    console.log(
      `produced ${fmt(opts.flows)} flows to ${opts.partitions} partitions in ${fmt(produceS, 1)} s (${fmt(opts.flows / produceS)}/s, bench producer)`,
    );

    const store = createFlowStore({ url: ch.url });
    const started = performance.now();
    const d = await startIngester([
      "--kafka-brokers",
      kafka.brokers,
      "--topic",
      topic,
      "--clickhouse-url",
      ch.url,
      "--batch-rows",
      String(opts.batchRows),
      "--batch-max-wait",
      opts.batchMaxWait,
    ]);
    const pid = d.proc.pid as number;
    const cpu0 = cpuSeconds(pid);
    const ready = performance.now();
    let count = 0;
    while (count < opts.flows) {
      await sleep(200);
      count = await store.countFlows();
      if (performance.now() - ready > 600_000) throw new Error(`only ${count} of ${opts.flows} flows in ClickHouse after 10 minutes`);
    }
    const seconds = (performance.now() - ready) / 1000;
    const cpu = cpuSeconds(pid) - cpu0;
    const rate = opts.flows / seconds;
    const batches = await d.metric("flowlens_ingester_batches_total");
    const insertSum = await d.metric("flowlens_ingester_insert_duration_seconds_sum");
    console.log(
      `ingested ${fmt(opts.flows)} flows in ${fmt(seconds, 2)} s after start-up (${fmt((ready - started) / 1000, 1)} s): ${fmt(rate)} rows/s; ` +
        `ingester CPU ${fmt(cpu, 1)} s (${fmt((100 * cpu) / seconds)}% of a core); ${batches} batches, ${fmt(insertSum ?? 0, 2)} s inside inserts`,
    );
    result("ingester_rows_per_s", fmt(rate), `>= ${fmt(TARGET)}`, rate >= TARGET);
    await d.stop();
    await store.close();
  } finally {
    await Promise.all([kafka.destroy(), ch.destroy()]);
  }
});
