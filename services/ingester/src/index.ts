// flowlens-ingester: reads flags, migrates the schema, then consumes flows into ClickHouse until a signal.
import { createFlowStore, type FlowStore, type RetentionDays, startRetention } from "@flowlens/clickhouse";
import { describeKafkaAuth } from "@flowlens/credentials";
import { backoffDelay, collapseRepeats, onShutdown, runMain, serveMetricsAt, sleep, startDaemon } from "@flowlens/runtime";
import { Kafka, logLevel } from "kafkajs";
import { type IngesterConfig, parseIngesterArgs } from "./config.js";
import { createIngester } from "./ingester.js";
import { createMetrics } from "./metrics.js";

const NAME = "flowlens-ingester";
const { cfg, log, version: VERSION } = startDaemon(NAME, import.meta.url, (argv) => parseIngesterArgs(argv));
/** Start-up retries: 0.5 s doubling to 15 s. */
const START_BACKOFF = { initialMs: 500, maxMs: 15_000, jitter: 0.2 };

function openStore(cfg: IngesterConfig): FlowStore {
  return createFlowStore({
    url: cfg.clickhouseUrl,
    username: cfg.clickhouseUser,
    password: cfg.clickhousePassword,
    database: cfg.clickhouseDatabase,
  });
}

/** Applies the schema; at daemon start a server that is not up yet is waited for. */
async function migrateSchema(store: FlowStore, wait: boolean): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await store.migrate();
      log(`schema of ${store.database}: ${JSON.stringify(r)}`);
      return;
    } catch (e) {
      if (!wait) throw e;
      const delay = backoffDelay(attempt, START_BACKOFF);
      log.warn(`migrate: ${(e as Error).message}; again in ${delay} ms`);
      await sleep(delay);
    }
  }
}

async function main(cfg: IngesterConfig): Promise<void> {
  const store = openStore(cfg);
  if (cfg.command === "migrate") {
    await migrateSchema(store, false);
    await store.close();
    return;
  }
  const metrics = createMetrics();
  await serveMetricsAt(metrics.registry, cfg.metricsAddress);
  await migrateSchema(store, true);
  const kafkaLog = collapseRepeats(log.warn);
  const kafka = new Kafka({
    clientId: "flowlens-ingester",
    brokers: cfg.kafkaBrokers,
    ...cfg.kafkaAuth,
    logLevel: logLevel.ERROR,
    logCreator: () => (e) => kafkaLog(`kafka: ${e.log.message}${e.log.error ? `: ${e.log.error}` : ""}`),
  });
  const ingester = createIngester({
    kafka,
    store,
    options: {
      topic: cfg.topic,
      dlqTopic: cfg.dlqTopic,
      groupId: cfg.groupId,
      batchRows: cfg.batchRows,
      batchMaxWaitMs: cfg.batchMaxWaitMs,
      retryMaxBackoffMs: cfg.retryMaxBackoffMs,
      lagIntervalMs: cfg.lagIntervalMs,
      sessionTimeoutMs: cfg.sessionTimeoutMs,
    },
    metrics,
    log: collapseRepeats(log),
  });
  // days per table; 0 keeps a table whole (left out of the map)
  const keep = Object.fromEntries(
    Object.entries({ flows: cfg.retentionDays, ...cfg.rollupRetentionDays }).filter(([, d]) => d > 0),
  ) as RetentionDays;
  const retention =
    Object.keys(keep).length > 0
      ? startRetention(store, {
          days: keep,
          intervalMs: cfg.retentionIntervalMs,
          onDrop: (days) => log(`retention: dropped day partitions ${days.join(", ")} (kept days: ${JSON.stringify(keep)})`),
          onError: (e) => log.error(`retention: ${e.message}`),
        })
      : undefined;
  let shuttingDown = false;
  onShutdown(async () => {
    shuttingDown = true;
    retention?.stop();
    await ingester
      .stop()
      .then(() => store.close())
      .catch((e: Error) => log.error(`stop: ${e.message}`));
  });
  for (let attempt = 1; !shuttingDown; attempt++) {
    try {
      await ingester.start();
      break;
    } catch (e) {
      const delay = backoffDelay(attempt, START_BACKOFF);
      log.warn(`start consumer on ${cfg.kafkaBrokers.join(",")}: ${(e as Error).message}; again in ${delay} ms`);
      await sleep(delay);
    }
  }
  log(
    `flowlens-ingester ${VERSION}: ${cfg.topic} (group ${cfg.groupId}, ${describeKafkaAuth(cfg.kafkaAuth)}) -> ${cfg.clickhouseUrl} ${store.database}, batches of ${cfg.batchRows} rows or ${cfg.batchMaxWaitMs} ms`,
  );
}

// A daemon survives what it did not expect: log it in one line and go on.
process.on("unhandledRejection", (e) => log.error(`unexpected: ${(e as Error)?.message ?? String(e)}`));
runMain(NAME, () => main(cfg));
