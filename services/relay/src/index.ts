// flowlens-relay: reads flags, connects to the collectors, opens the sockets, runs until a signal.
import { describeKafkaAuth } from "@flowlens/credentials";
import { observerServiceDefinition } from "@flowlens/proto";
import { listenGrpc, observerHealth, onShutdown, readPem, runMain, serveMetricsAt, startDaemon } from "@flowlens/runtime";
import * as grpc from "@grpc/grpc-js";
import { parseRelayArgs, type RelayConfig } from "./config.js";
import { createRelayMetrics } from "./metrics.js";
import type { PeerTls } from "./peers/client.js";
import { Relay } from "./relay.js";
import { createRelayObserverHandlers } from "./server/observer.js";
import { clickhouseDelivery } from "./sinks/clickhouse.js";
import { kafkaWorkerDeliveries } from "./sinks/kafka.js";
import { BufferedSink, type Delivery, type FlowSink } from "./sinks/sink.js";

const NAME = "flowlens-relay";
const { cfg, log, version: VERSION } = startDaemon(NAME, import.meta.url, (argv) => parseRelayArgs(argv));

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
      await ch.migrate().catch((e: Error) => log.warn(`clickhouse migrate: ${e.message} (inserts will be retried)`));
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
          log.warn(`export: ${e.message} (flows wait in the buffer, retrying)`);
        },
      },
    );
  }
  const peerTls: PeerTls | undefined = cfg.peerTls && {
    ca: readPem(cfg.peerTls.ca, "--peer-tls-ca"),
    cert: readPem(cfg.peerTls.cert, "--peer-tls-cert"),
    key: readPem(cfg.peerTls.key, "--peer-tls-key"),
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
  observerHealth().addToServer(server);
  await listenGrpc(server, cfg.listenAddress, cfg.tls);
  await serveMetricsAt(metrics.registry, cfg.metricsAddress);
  relay.start();

  onShutdown(async () => {
    server.forceShutdown();
    // Give the export buffer a moment to reach the store.
    await relay?.stop().catch((e: Error) => log.error(`stop: ${e.message}`));
  });
  const exportTo =
    sinkName === "kafka"
      ? `Kafka ${cfg.kafkaBrokers.join(",")} topic ${cfg.kafkaTopic} (${describeKafkaAuth(cfg.kafkaAuth)})`
      : sinkName === "clickhouse"
        ? `ClickHouse ${cfg.clickhouseUrl}`
        : "no export";
  log(`flowlens-relay ${VERSION}: serving ${cfg.listenAddress}, following ${cfg.peers.join(",")}, ${exportTo}`);
}

runMain(NAME, () => main(cfg));
