// Prints the relay's Kafka produce rate (flows/s) through its real export path (bounded buffer +
// kafkajs producers, in the relay's worker thread) against a real broker, for the producer settings
// worth comparing. WORKER=0 runs the producers on the main thread instead (how the relay did before).
// Run from services/relay after the build (the worker is dist/sinks/kafka-worker.js):
//   npx vite-node bench/kafka-produce.ts   (env FLOWS, PRODUCERS, BATCH, WORKER)
import { create, toBinary } from "@bufbuild/protobuf";
import { FlowSchema, setFlowExtension } from "@flowlens/proto";
import { startKafka } from "@flowlens/test-harness/kafka";
import type { RelayFlow } from "../src/merge/relay-flow.js";
import { timestampOfNs } from "../src/server/responses.js";
import { kafkaDelivery, kafkaWorkerDeliveries } from "../src/sinks/kafka.js";
import { BufferedSink } from "../src/sinks/sink.js";

const N = Number(process.env.FLOWS ?? 200_000);

function flows(prefix: string): RelayFlow[] {
  const out: RelayFlow[] = [];
  const now = Date.now() * 1e6;
  for (let i = 0; i < N; i++) {
    const f = create(FlowSchema, {
      uuid: `${prefix}-${i}-${"x".repeat(20)}`,
      nodeName: "bench-node",
      time: timestampOfNs(now + i * 1000),
      verdict: 1,
      IP: { source: `10.1.${(i >> 8) & 255}.${i & 255}`, destination: "10.2.0.10", ipVersion: 1 },
      l4: { protocol: { case: "TCP", value: { sourcePort: 30000 + (i % 30000), destinationPort: 5432, flags: { SYN: true, ACK: true } } } },
      source: { namespace: "shop", podName: `web-${i % 50}`, labels: ["k8s:app=web", "k8s:tier=frontend"], identity: 12345 },
      destination: { namespace: "shop", podName: "db-0", labels: ["k8s:app=db"], identity: 23456 },
      Type: 1,
      trafficDirection: 2,
      Summary: "TCP Flags: SYN, ACK",
    });
    setFlowExtension(f, { packets: 10n, bytes: 4096n, handshakeRttNs: 120_000n, comm: "postgres", pid: 4242 });
    out.push({ kind: "flow", node: "bench-node", uuid: f.uuid, timeNs: now + i * 1000, bytes: toBinary(FlowSchema, f) });
  }
  return out;
}

const kafka = await startKafka({ partitions: 6 });
try {
  await kafka.createTopics();
  for (const [name, idempotent, compression] of [
    ["warm-up", true, "gzip"],
    ["idempotent, gzip (default)", true, "gzip"],
    ["not idempotent, gzip", false, "gzip"],
    ["idempotent, no compression", true, "none"],
  ] as const) {
    const batch = flows(name.replace(/\W+/g, "-"));
    const producers = Number(process.env.PRODUCERS ?? 2);
    const opts = { brokers: [kafka.brokers], topic: "flowlens.flows", idempotent, compression } as const;
    const deliveries =
      process.env.WORKER === "0" ? Array.from({ length: producers }, () => kafkaDelivery(opts)) : kafkaWorkerDeliveries(opts, producers);
    const sink = new BufferedSink(deliveries, {
      maxFlows: N,
      maxBytes: 1 << 30,
      batchFlows: Number(process.env.BATCH ?? 10_000),
      lingerMs: 50,
      retryInitialMs: 100,
      retryMaxMs: 1000,
    });
    const t0 = performance.now();
    for (const f of batch) sink.write(f);
    while (sink.stats().produced < N) await new Promise((r) => setTimeout(r, 10));
    const s = (performance.now() - t0) / 1000;
    console.log(
      `${process.env.WORKER === "0" ? "main thread" : "worker"}, ${process.env.PRODUCERS ?? 2} producers, batch ${process.env.BATCH ?? 10000}: ${name.padEnd(30)} ${N} flows in ${s.toFixed(2)} s = ${Math.round(N / s)} flows/s (avg ${Math.round(batch.reduce((a, f) => a + f.bytes.length, 0) / N)} B/flow)`,
    );
    await sink.close();
  }
} finally {
  await kafka.destroy();
}
