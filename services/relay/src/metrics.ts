// Prometheus metrics of the relay (prom-client): per-node flows and connection state, export
// produce rate, latency and errors, buffer fill and drops. Most values are read when scraped.
import { createServer, type Server } from "node:http";
import { LostEventSource, NodeState } from "@flowlens/proto";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Relay } from "./relay.js";
import type { SinkHooks } from "./sinks/sink.js";

export interface RelayMetrics {
  registry: Registry;
  /** Hooks for the export sink (latency and errors are observed as they happen). */
  sinkHooks: SinkHooks;
}

export function createRelayMetrics(relay: () => Relay, sink: string): RelayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "flowlens_relay_" });
  new Gauge({
    name: "flowlens_relay_flows_received",
    help: "Flows received from each node since start (duplicates from resumed streams excluded)",
    labelNames: ["node"],
    registers: [registry],
    collect() {
      for (const [node, n] of relay().receivedByNode) this.set({ node }, n);
    },
  });
  new Gauge({
    name: "flowlens_relay_duplicates_dropped",
    help: "Flows a resumed stream sent again and the relay dropped (by uuid), per peer",
    labelNames: ["node", "address"],
    registers: [registry],
    collect() {
      for (const p of relay().peers) this.set({ node: p.name, address: p.address }, p.duplicates);
    },
  });
  new Gauge({
    name: "flowlens_relay_node_connected",
    help: "1 when the relay follows the node's flows, 0 otherwise",
    labelNames: ["node", "address"],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of relay().peers) this.set({ node: p.name, address: p.address }, p.state === NodeState.NODE_CONNECTED ? 1 : 0);
    },
  });
  new Gauge({
    name: "flowlens_relay_node_malformed_messages",
    help: "Messages from a node that did not decode (dropped; the node's stream is restarted), since start",
    labelNames: ["node", "address"],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of relay().peers) this.set({ node: p.name, address: p.address }, p.malformed);
    },
  });
  new Gauge({
    name: "flowlens_relay_node_connects",
    help: "Connections made to the node's flow stream (reconnects show as increments)",
    labelNames: ["node", "address"],
    registers: [registry],
    collect() {
      for (const p of relay().peers) this.set({ node: p.name, address: p.address }, p.connects);
    },
  });
  new Gauge({
    name: "flowlens_relay_node_lost_events",
    help: "Flows the nodes reported lost on their streams to the relay (e.g. HUBBLE_RING_BUFFER: the relay read too slowly and the node's ring lapped it)",
    labelNames: ["node", "source"],
    registers: [registry],
    collect() {
      for (const [node, bySource] of relay().nodeLost)
        for (const [source, n] of bySource) this.set({ node, source: LostEventSource[source] ?? String(source) }, n);
    },
  });
  new Gauge({
    name: "flowlens_relay_flows_merged",
    help: "Flows that left the sort buffer into the merged stream",
    registers: [registry],
    collect() {
      this.set(relay().emitted);
    },
  });
  const stat = (name: string, help: string, key: "produced" | "bufferedFlows" | "bufferedBytes" | "dropped" | "errors") =>
    new Gauge({
      name,
      help,
      labelNames: ["sink"],
      registers: [registry],
      collect() {
        const s = relay().opts.sink?.stats();
        if (s) this.set({ sink }, s[key]);
      },
    });
  stat("flowlens_relay_flows_produced", "Flows the export store acknowledged (Kafka: all in-sync replicas)", "produced");
  stat("flowlens_relay_buffer_flows", "Flows waiting in the export buffer", "bufferedFlows");
  stat("flowlens_relay_buffer_bytes", "Bytes waiting in the export buffer", "bufferedBytes");
  stat("flowlens_relay_buffer_dropped_flows", "Flows dropped because the export buffer was full", "dropped");
  const latency = new Histogram({
    name: "flowlens_relay_produce_latency_seconds",
    help: "Time to have one export batch acknowledged",
    labelNames: ["sink"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const errors = new Counter({
    name: "flowlens_relay_produce_errors_total",
    help: "Export batches that failed (and were retried)",
    labelNames: ["sink"],
    registers: [registry],
  });
  return {
    registry,
    sinkHooks: {
      delivered: (_n, seconds) => latency.observe({ sink }, seconds),
      failed: () => errors.inc({ sink }),
    },
  };
}

export function serveMetrics(registry: Registry, host: string, port: number): Promise<Server> {
  const server = createServer(async (req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end("not found: try /metrics\n");
      return;
    }
    try {
      res.writeHead(200, { "content-type": registry.contentType }).end(await registry.metrics());
    } catch (e) {
      res.writeHead(500).end(`metrics: ${(e as Error).message}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", (e) => reject(new Error(`metrics on ${host}:${port}: ${e.message}`, { cause: e })));
    server.listen(port, host, () => resolve(server));
  });
}
