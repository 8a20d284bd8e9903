// Prometheus metrics of the ingester (prom-client) and the /metrics HTTP server.
import { createServer, type Server } from "node:http";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { PartitionOffset, PipelineObserver } from "./pipeline.js";

export interface IngesterMetrics {
  registry: Registry;
  /** Hooks the batch pipeline calls. */
  pipeline: PipelineObserver;
  recordsConsumed(n: number): void;
  /** `kind` is a short class of the reason (decode, schema, row, refused), for the label. */
  deadLettered(kind: string): void;
  deadLetterFailed(): void;
  setLag(lag: ReadonlyMap<number, number>): void;
  setPendingRows(n: number): void;
}

export function createMetrics(): IngesterMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "flowlens_ingester_" });
  const registers = [registry];
  const rows = new Counter({ name: "flowlens_ingester_rows_inserted_total", help: "Rows ClickHouse acknowledged", registers });
  const batches = new Counter({
    name: "flowlens_ingester_batches_total",
    help: "Batches stored (one insert each unless split)",
    registers,
  });
  const latency = new Histogram({
    name: "flowlens_ingester_insert_duration_seconds",
    help: "Time to store one batch, retries included",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers,
  });
  const insertErrors = new Counter({
    name: "flowlens_ingester_insert_errors_total",
    help: "Failed insert attempts: transient (retried with backoff) or data (ClickHouse refused the rows; batch split)",
    labelNames: ["kind"],
    registers,
  });
  const retries = new Counter({
    name: "flowlens_ingester_insert_retries_total",
    help: "Insert retries after a transient failure",
    registers,
  });
  const commits = new Counter({ name: "flowlens_ingester_commits_total", help: "Offset commits after stored batches", registers });
  const commitErrors = new Counter({
    name: "flowlens_ingester_commit_errors_total",
    help: "Offset commits that failed (the next batch commits a later offset; a restart re-reads, never skips)",
    registers,
  });
  const committed = new Gauge({
    name: "flowlens_ingester_committed_offset",
    help: "Last committed offset (next to read) per partition",
    labelNames: ["partition"],
    registers,
  });
  const paused = new Gauge({
    name: "flowlens_ingester_paused",
    help: "1 while consumption is paused because ClickHouse refuses inserts",
    registers,
  });
  const consumed = new Counter({
    name: "flowlens_ingester_records_consumed_total",
    help: "Kafka records read from the flows topic",
    registers,
  });
  const dead = new Counter({
    name: "flowlens_ingester_dead_letters_total",
    help: "Records sent to the dead-letter topic, by kind of reason",
    labelNames: ["kind"],
    registers,
  });
  const deadFailed = new Counter({
    name: "flowlens_ingester_dead_letter_errors_total",
    help: "Failed dead-letter sends (the batch is read again, not skipped)",
    registers,
  });
  const lag = new Gauge({
    name: "flowlens_ingester_consumer_lag",
    help: "Records behind per partition: high watermark minus committed offset",
    labelNames: ["partition"],
    registers,
  });
  const pending = new Gauge({ name: "flowlens_ingester_pending_rows", help: "Rows consumed and waiting for their insert", registers });
  insertErrors.inc({ kind: "transient" }, 0);
  insertErrors.inc({ kind: "data" }, 0);
  paused.set(0);
  return {
    registry,
    pipeline: {
      batchStored(n: number, seconds: number) {
        rows.inc(n);
        batches.inc();
        latency.observe(seconds);
      },
      insertFailed: (kind) => insertErrors.inc({ kind }),
      retried: () => retries.inc(),
      committed(offsets: PartitionOffset[]) {
        commits.inc();
        for (const o of offsets) committed.set({ partition: String(o.partition) }, Number(o.offset));
      },
      commitFailed: () => commitErrors.inc(),
      paused: (on) => paused.set(on ? 1 : 0),
    },
    recordsConsumed: (n) => consumed.inc(n),
    deadLettered: (kind) => dead.inc({ kind }),
    deadLetterFailed: () => deadFailed.inc(),
    setLag(values) {
      lag.reset();
      for (const [p, v] of values) lag.set({ partition: String(p) }, v);
    },
    setPendingRows: (n) => pending.set(n),
  };
}

/** Serves GET /metrics; other paths are 404. */
export function serveMetrics(registry: Registry, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" || !req.url?.startsWith("/metrics")) {
      res.writeHead(404).end();
      return;
    }
    registry
      .metrics()
      .then((body) => res.writeHead(200, { "content-type": registry.contentType }).end(body))
      .catch((e: Error) => res.writeHead(500).end(e.message));
  });
  return new Promise((resolve, reject) => {
    server.once("error", (e) => reject(new Error(`metrics listen on ${host}:${port}: ${e.message}`, { cause: e })));
    server.listen(port, host, () => {
      server.removeAllListeners("error");
      server.on("error", () => {});
      resolve(server);
    });
  });
}
