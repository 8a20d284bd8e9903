// flowlens-relay: reads flags, connects to the collectors, opens the sockets, runs until a signal.

import { readFileSync } from "node:fs";
import { describeKafkaAuth } from "@flowlens/credentials";
import { observerServiceDefinition } from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { parseRelayArgs, type RelayConfig } from "./config.js";
import { createRelayMetrics, serveMetrics } from "./metrics.js";
import type { PeerTls } from "./peers/client.js";
import { Relay } from "./relay.js";
import { createRelayObserverHandlers } from "./server/observer.js";
import { clickhouseDelivery } from "./sinks/clickhouse.js";
import { kafkaWorkerDeliveries } from "./sinks/kafka.js";
import { BufferedSink, type Delivery, type FlowSink } from "./sinks/sink.js";

const VERSION = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version as string;

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString()} ${msg}\n`);
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

async function main(cfg: RelayConfig): Promise<void> {
  let relay: Relay | undefined;
  const sinkName = cfg.kafkaBrokers.length ? "kafka" : cfg.clickhouseUrl ? "clickhouse" : "";
  const metrics = createRelayMetrics(() => relay as Relay, sinkName);
  let sink: FlowSink | undefined;
  if (sinkName) {
    let delivery: Delivery | Delivery[];
    if (sinkName === "kafka")
      delivery = kafkaWorkerDeliveries(
        { brokers: cfg.kafkaBrokers, topic: cfg.kafkaTopic, clientId: "flowlens-relay", auth: cfg.kafkaAuth },
        cfg.kafkaProducers,
      );
    else {
      const ch = clickhouseDelivery({ url: cfg.clickhouseUrl as string, ...cfg.clickhouseAuth });
      // The schema may not exist yet on a fresh server: apply it now, or keep going and retry on insert.
      await ch.migrate().catch((e: Error) => log(`clickhouse migrate: ${e.message} (inserts will be retried)`));
      delivery = ch;
    }
    sink = new BufferedSink(
      delivery,
      {
        maxFlows: cfg.bufferFlows,
        maxBytes: cfg.bufferBytes,
        batchFlows: cfg.batchFlows,
        lingerMs: cfg.lingerMs,
        retryInitialMs: 500,
        retryMaxMs: 10_000,
      },
      {
        ...metrics.sinkHooks,
        failed: (e) => {
          metrics.sinkHooks.failed?.(e);
          log(`export: ${e.message} (flows wait in the buffer, retrying)`);
        },
      },
    );
  }
  const peerTls: PeerTls | undefined = cfg.peerTls && {
    ca: read(cfg.peerTls.ca, "--peer-tls-ca"),
    cert: read(cfg.peerTls.cert, "--peer-tls-cert"),
    key: read(cfg.peerTls.key, "--peer-tls-key"),
    serverName: cfg.peerTlsServerName,
  };
  relay = new Relay({
    nodeName: cfg.nodeName,
    addresses: cfg.peers,
    peers: { tls: peerTls, dedupCapacity: cfg.dedupSize, resumeOverlapMs: cfg.resumeOverlapMs },
    ringSize: cfg.bufferSize,
    sortBufferSize: cfg.sortBufferSize,
    sortBufferDrainTimeoutMs: cfg.sortBufferDrainTimeoutMs,
    sink,
    log,
  });

  const server = new grpc.Server();
  server.addService(observerServiceDefinition, createRelayObserverHandlers(relay, VERSION));
  new HealthImplementation({ "": "SERVING", "observer.Observer": "SERVING", "hubble.server.Observer": "SERVING" }).addToServer(server);
  const creds = cfg.tls
    ? grpc.ServerCredentials.createSsl(
        read(cfg.tls.ca, "--tls-ca"),
        [{ cert_chain: read(cfg.tls.cert, "--tls-cert"), private_key: read(cfg.tls.key, "--tls-key") }],
        true,
      )
    : grpc.ServerCredentials.createInsecure();
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(cfg.listenAddress, creds, (err) =>
      err ? reject(new Error(`listen on ${cfg.listenAddress}: ${err.message}`, { cause: err })) : resolve(),
    ),
  );
  if (cfg.metricsAddress) {
    const m = /^(.*):(\d+)$/.exec(cfg.metricsAddress);
    if (!m) throw new Error(`--metrics-address "${cfg.metricsAddress}" must be host:port`);
    (await serveMetrics(metrics.registry, m[1] || "0.0.0.0", Number(m[2]))).unref();
  }
  relay.start();

  let shuttingDown = false;
  const shutdown = async () => {
    if (shuttingDown) return;
    shuttingDown = true;
    server.forceShutdown();
    // Give the export buffer a moment to reach the store.
    await relay?.stop().catch((e: Error) => log(`stop: ${e.message}`));
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown());
  process.on("SIGTERM", () => void shutdown());
  const exportTo =
    sinkName === "kafka"
      ? `Kafka ${cfg.kafkaBrokers.join(",")} topic ${cfg.kafkaTopic} (${describeKafkaAuth(cfg.kafkaAuth)})`
      : sinkName === "clickhouse"
        ? `ClickHouse ${cfg.clickhouseUrl}`
        : "no export";
  log(`flowlens-relay ${VERSION}: serving ${cfg.listenAddress}, following ${cfg.peers.join(",")}, ${exportTo}`);
}

let cfg: RelayConfig;
try {
  cfg = parseRelayArgs(process.argv.slice(2));
} catch (e) {
  const err = e as { code?: string; message: string };
  if (err.code === "commander.helpDisplayed" || err.code === "commander.version") process.exit(0);
  // commander has printed its own errors; ours are checks across flags.
  if (!err.code?.startsWith("commander.")) process.stderr.write(`flowlens-relay: ${err.message}\n`);
  process.exit(2);
}
main(cfg).catch((e: Error) => {
  process.stderr.write(`flowlens-relay: ${e.message}\n`);
  process.exit(1);
});
