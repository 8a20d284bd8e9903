// Ingester throughput: Kafka -> ClickHouse rows/s with the real broker, the real server and bin/flowlens-ingester.
// A backlog of synthetic flows (unique uuids) is produced first; then the ingester starts and the clock runs
// until every flow is counted (dedup-aware) in ClickHouse.
// Usage: npx vite-node bench/ingester.ts [-- --flows 500000 --partitions 6 --batch-rows 50000 --ingesters 1]
// (--ingesters N runs N processes in one consumer group: the partitions are shared out among them.)
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createFlowStore } from "@flowlens/clickhouse";
import { startClickHouse } from "@flowlens/test-harness/clickhouse";
import { kafkaClient, startKafka } from "@flowlens/test-harness/kafka";
import { startIngester } from "../test/ingester/daemon.ts";
import { flowRecord, syntheticFlow } from "../test/ingester/flows.ts";
import { fmt, parseFlags, result } from "./lib/args.mjs";
import { cpuSeconds, runBench, sleep } from "./lib/env.ts";

const TARGET = 100_000;
const opts = parseFlags({ flows: 500_000, partitions: 6, batchRows: 50_000, batchMaxWait: "1s", ingesters: 1 });

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
    const args = [
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
    ];
    const all = await Promise.all(Array.from({ length: opts.ingesters }, () => startIngester(args)));
    const pids = all.map((x) => x.proc.pid as number);
    const ingesterCpu = () => pids.reduce((sum, p) => sum + cpuSeconds(p), 0);
    const pidIn = (dir: string, file: string) => Number(readFileSync(join(dir, file), "utf8").trim());
    const chPid = pidIn(ch.dataDir, "clickhouse-server.pid");
    const kafkaPid = pidIn(kafka.dataDir, "kafka.pid");
    const cpu0 = ingesterCpu();
    const chCpu0 = cpuSeconds(chPid);
    const kafkaCpu0 = cpuSeconds(kafkaPid);
    const ready = performance.now();
    let count = 0;
    while (count < opts.flows) {
      await sleep(200);
      count = await store.countFlows();
      if (performance.now() - ready > 600_000) throw new Error(`only ${count} of ${opts.flows} flows in ClickHouse after 10 minutes`);
    }
    const seconds = (performance.now() - ready) / 1000;
    const cpu = ingesterCpu() - cpu0;
    const chCpu = cpuSeconds(chPid) - chCpu0;
    const kafkaCpu = cpuSeconds(kafkaPid) - kafkaCpu0;
    const rate = opts.flows / seconds;
    let batches = 0;
    let insertSum = 0;
    for (const x of all) {
      batches += (await x.metric("flowlens_ingester_batches_total")) ?? 0;
      insertSum += (await x.metric("flowlens_ingester_insert_duration_seconds_sum")) ?? 0;
    }
    console.log(
      `ingested ${fmt(opts.flows)} flows in ${fmt(seconds, 2)} s after start-up (${fmt((ready - started) / 1000, 1)} s): ${fmt(rate)} rows/s; ` +
        `CPU: ${opts.ingesters} ingester(s) ${fmt(cpu, 1)} s (${fmt((100 * cpu) / seconds)}% of a core), ClickHouse ${fmt(chCpu, 1)} s, Kafka ${fmt(kafkaCpu, 1)} s; ` +
        `${batches} batches, ${fmt(insertSum ?? 0, 2)} s inside inserts (${fmt((opts.flows / (insertSum || 1)) * opts.ingesters)} rows/s while inserting)`,
    );
    result("ingester_rows_per_s", fmt(rate), `>= ${fmt(TARGET)}`, rate >= TARGET);
    await Promise.all(all.map((x) => x.stop()));
    await store.close();
  } finally {
    await Promise.all([kafka.destroy(), ch.destroy()]);
  }
});
