// flowlens-api: reads flags, opens the ClickHouse clients and the HTTP listener, stops on a signal.

import { onShutdown, runMain, startDaemon } from "@flowlens/runtime";
import { serve } from "@hono/node-server";
import { defaultTables } from "./agg/table-picker.js";
import { createApi } from "./app.js";
import { createClickHouseStore } from "./clickhouse-store.js";
import { type ApiConfig, parseApiArgs } from "./config.js";
import { FLOW_QUERY } from "./filter-compiler.js";
import { createApiMetrics } from "./metrics.js";

const NAME = "flowlens-api";
const { cfg, log, version } = startDaemon(NAME, import.meta.url, (argv) => parseApiArgs(argv));

async function main(cfg: ApiConfig): Promise<void> {
  const metrics = createApiMetrics();
  const store = createClickHouseStore({
    url: cfg.clickhouseUrl,
    database: cfg.clickhouseDatabase,
    username: cfg.clickhouseUser,
    password: cfg.clickhousePassword,
    readerUsername: cfg.readerUser,
    readerPassword: cfg.readerPassword,
    limits: { maxExecutionTime: cfg.queryTimeoutS, maxMemoryUsage: cfg.maxMemoryUsage },
    observe: (kind, s) => metrics.clickhouse.observe({ query: kind }, s),
  });
  const app = createApi({
    store,
    filters: FLOW_QUERY,
    metrics,
    tokens: cfg.tokens,
    corsOrigin: cfg.corsOrigin,
    maxRangeMs: cfg.maxRangeMs,
    tables: defaultTables(cfg.retentionDays),
    sqlMaxRows: cfg.sqlMaxRows,
    version,
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: cfg.host, port: cfg.port }, () => resolve(s));
    s.once("error", (e) => reject(new Error(`listen on ${cfg.host}:${cfg.port}: ${e.message}`, { cause: e })));
  });
  onShutdown(async () => {
    await new Promise((r) => server.close(r));
    await store.close();
  });
  log(
    `flowlens-api ${version}: http://${cfg.host}:${cfg.port}/api/v1 -> ${cfg.clickhouseUrl} ${cfg.clickhouseDatabase} (${cfg.tokens ? `${cfg.tokens.length} bearer tokens` : "NO AUTH, loopback only"})`,
  );
}

process.on("unhandledRejection", (e) => log.error(`unexpected: ${(e as Error)?.message ?? String(e)}`));
runMain(NAME, () => main(cfg));
