// A collector whose datapath is synthetic: the real Collector (decoder, live ring, flow encoder) and
// its real Observer gRPC server, fed realistic flow records at a set rate instead of the kernel.
// It waits for its first follower (a relay), feeds for --seconds, prints {"fed", "served", "queueDropped"}
// and exits: records fed, flows written to its live ring, records its events queue dropped (full while
// decoding was held back for a slow follower: the collector's OBSERVER_EVENTS_QUEUE loss).
// Usage: node bench/lib/synthetic-collector.mjs --port P --rate 20000 --seconds 60 [--node-name n]
import { observerServiceDefinition } from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";
import { Collector } from "../../services/collector/dist/collector.js";
import { BatchQueue } from "../../services/collector/dist/datapath/batch-queue.js";
import { EndpointRegistry } from "../../services/collector/dist/endpoints/registry.js";
import { KernelDropReasons } from "../../services/collector/dist/flows/kernel-drop-reasons.js";
import { createFlowStreamHandlers, flowStreamDefinition } from "../../services/collector/dist/server/flow-stream.js";
import { createObserverHandlers } from "../../services/collector/dist/server/observer.js";
import { parseFlags } from "./args.mjs";
import { buildBatches } from "./records.mjs";

const opts = parseFlags({ port: 0, rate: 20000, seconds: 60, nodeName: "synthetic" });
const collector = new Collector({
  nodeName: opts.nodeName,
  version: "bench",
  address: `127.0.0.1:${opts.port}`,
  bufferSize: 4095,
  registry: new EndpointRegistry(),
  hostIps: new Set(),
  dropReasons: await KernelDropReasons.load(),
  ifname: () => "synth0",
  log: () => {},
});
const server = new grpc.Server();
server.addService(observerServiceDefinition, createObserverHandlers(collector.observerState()));
// The Flowlens batched stream relays prefer, as the real collector serves it.
server.addService(flowStreamDefinition, createFlowStreamHandlers(collector.observerState()));
await new Promise((ok, fail) =>
  server.bindAsync(`127.0.0.1:${opts.port}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? fail(e) : ok())),
);
const queue = new BatchQueue(
  collector.decoder,
  () => {},
  1024,
  262144,
  () => collector.backpressure.shouldHold(),
);
const { batches } = buildBatches({ batches: 16, batchSize: 4096, flows: 65536, window: 8192, mix: "flow" });
let cursor = 0;
let fed = 0;
function feed(count) {
  while (count > 0) {
    const b = batches[(cursor >> 12) % batches.length];
    const from = cursor & 4095;
    const n = Math.min(count, 4096 - from);
    // A fresh copy per slice, as the ring-buffer reader delivers; timestamps are rewritten to now.
    const buf = Buffer.from(b.buf);
    const now = process.hrtime.bigint();
    for (let i = from; i < from + n; i++) buf.writeBigUInt64LE(now, b.offsets[i] + 8);
    queue.push(buf, b.offsets.subarray(from, from + n + 1), n);
    cursor += n;
    count -= n;
    fed += n;
  }
}
process.stderr.write("ready\n");
while (collector.ring.followers === 0) await new Promise((r) => setTimeout(r, 50));
const tickMs = 50;
const perTick = Math.round((opts.rate * tickMs) / 1000);
const end = Date.now() + opts.seconds * 1000;
let next = Date.now();
while (Date.now() < end) {
  feed(perTick);
  next += tickMs;
  await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
}
// Let the last slices reach the stream.
while (queue.pending > 0) await new Promise((r) => setTimeout(r, 20));
await new Promise((r) => setTimeout(r, 1500));
console.log(JSON.stringify({ fed, served: collector.ring.written, queueDropped: queue.dropped }));
process.exit(0);
