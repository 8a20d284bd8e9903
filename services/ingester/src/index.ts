// flowlens-ingester: reads flags, migrates the schema, then consumes flows into ClickHouse until a signal.
import { readFileSync } from "node:fs";
import { createFlowStore, type FlowStore, startRetention } from "@flowlens/clickhouse";
import { describeKafkaAuth } from "@flowlens/credentials";
import { Kafka, logLevel } from "kafkajs";
import { backoffDelay, sleep } from "./backoff.js";
import { type IngesterConfig, parseIngesterArgs } from "./config.js";
import { createIngester } from "./ingester.js";
import { createMetrics, serveMetrics } from "./metrics.js";
import { collapseRepeats } from "./quiet-log.js";

const VERSION = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version as string;

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString()} ${msg}\n`);
}

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
      const delay = backoffDelay(attempt, { baseMs: 500, maxMs: 15_000 });
      log(`migrate: ${(e as Error).message}; again in ${delay} ms`);
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
  if (cfg.metricsAddress) {
    const m = /^(.*):(\d+)$/.exec(cfg.metricsAddress) as RegExpExecArray;
    (await serveMetrics(metrics.registry, m[1] || "0.0.0.0", Number(m[2]))).unref();
  }
  await migrateSchema(store, true);
  const kafkaLog = collapseRepeats(log);
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
  const retention =
    cfg.retentionDays > 0
      ? startRetention(store, {
          days: cfg.retentionDays,
          intervalMs: cfg.retentionIntervalMs,
          onDrop: (days) => log(`retention: dropped day partitions ${days.join(", ")} (older than ${cfg.retentionDays} days)`),
          onError: (e) => log(`retention: ${e.message}`),
        })
      : undefined;
  let shuttingDown = false;
  const shutdown = () => {
    if (shuttingDown) return;
    shuttingDown = true;
    retention?.stop();
    ingester
      .stop()
      .then(() => store.close())
      .catch((e: Error) => log(`stop: ${e.message}`))
      .finally(() => process.exit(0));
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  for (let attempt = 1; !shuttingDown; attempt++) {
    try {
      await ingester.start();
      break;
    } catch (e) {
      const delay = backoffDelay(attempt, { baseMs: 500, maxMs: 15_000 });
      log(`start consumer on ${cfg.kafkaBrokers.join(",")}: ${(e as Error).message}; again in ${delay} ms`);
      await sleep(delay);
    }
  }
  log(
    `flowlens-ingester ${VERSION}: ${cfg.topic} (group ${cfg.groupId}, ${describeKafkaAuth(cfg.kafkaAuth)}) -> ${cfg.clickhouseUrl} ${store.database}, batches of ${cfg.batchRows} rows or ${cfg.batchMaxWaitMs} ms`,
  );
}

let cfg: IngesterConfig;
try {
  cfg = parseIngesterArgs(process.argv.slice(2));
} catch (e) {
  const err = e as { code?: string; message: string };
  if (err.code === "commander.helpDisplayed" || err.code === "commander.version") process.exit(0);
  if (!err.code?.startsWith("commander.")) process.stderr.write(`flowlens-ingester: ${err.message}\n`);
  process.exit(2);
}
// A daemon survives what it did not expect: log it in one line and go on.
process.on("unhandledRejection", (e) => log(`unexpected: ${(e as Error)?.message ?? String(e)}`));
main(cfg).catch((e: Error) => {
  process.stderr.write(`flowlens-ingester: ${e.message}\n`);
  process.exit(1);
});
