// The collector's serving path without the kernel: the real Collector (decoder, live ring of 4095, flow
// builder) fed synthetic ring-buffer batches every 50 ms (the reader's drain period) at a set rate,
// served by the real Observer gRPC handlers to a grpc-js GetFlows --follow client in another process.
// Usage: node bench/getflows-server.mjs [--rates 20000,50000,80000] [--seconds 8]
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { observerServiceDefinition } from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";
import { Collector } from "../services/collector/dist/collector.js";
import { BatchQueue } from "../services/collector/dist/datapath/batch-queue.js";
import { EndpointRegistry } from "../services/collector/dist/endpoints/registry.js";
import { KernelDropReasons } from "../services/collector/dist/flows/kernel-drop-reasons.js";
import { createObserverHandlers } from "../services/collector/dist/server/observer.js";
import { fmt, parseFlags, result } from "./lib/args.mjs";
import { buildBatches } from "./lib/records.mjs";

const TARGET = 60_000;
const MAX_US_PER_FLOW = 15;
const opts = parseFlags({ rates: "20000,50000,80000", seconds: 8 });
const clientScript = fileURLToPath(new URL("./lib/follow-client.mjs", import.meta.url));

const collector = new Collector({
  nodeName: "bench",
  version: "bench",
  address: "127.0.0.1:0",
  bufferSize: 4095,
  registry: new EndpointRegistry(),
  hostIps: new Set(),
  dropReasons: await KernelDropReasons.load(),
  ifname: () => "flbv0",
  log: () => {},
});
const server = new grpc.Server();
server.addService(observerServiceDefinition, createObserverHandlers(collector.observerState()));
const port = await new Promise((ok, fail) =>
  server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(new Error(`bind: ${e.message}`)) : ok(p))),
);

// As in the real datapath: batches go through the sliced queue, which streams waiting on their
// client may hold back (within the collector's budget).
const queue = new BatchQueue(
  collector.decoder,
  () => {},
  1024,
  262144,
  () => collector.backpressure.shouldHold(),
);

// Records are sliced out of prebuilt batches so each tick hands the decoder exactly `perTick` records.
const { batches } = buildBatches({ batches: 16, batchSize: 4096, flows: 65536, window: 8192, mix: "flow" });
let cursor = 0;
function feed(count) {
  while (count > 0) {
    const b = batches[(cursor >> 12) % batches.length];
    const from = cursor & 4095;
    const n = Math.min(count, 4096 - from);
    const offsets = b.offsets.subarray(from, from + n + 1);
    queue.push(Buffer.from(b.buf), offsets, n);
    cursor += n;
    count -= n;
  }
}

function runClient(seconds) {
  const child = spawn(process.execPath, [clientScript, `127.0.0.1:${port}`, String(seconds)], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  let onReady;
  const ready = new Promise((ok) => (onReady = ok));
  child.stderr.on("data", (d) => {
    err += d;
    if (err.includes("ready")) onReady();
  });
  const done = new Promise((ok, fail) =>
    child.on("exit", (c) => (c === 0 ? ok(JSON.parse(out)) : fail(new Error(`follow client: ${err.trim()}`)))),
  );
  return { ready, done };
}

let best = 0;
let usPerFlowAtBest = 0;
for (const rate of opts.rates.split(",").map(Number)) {
  const perTick = Math.round(rate / 20);
  // Feed first: grpc-js sends the response headers (the client's "ready") with the first message.
  const timer = setInterval(() => feed(perTick), 50);
  const client = runClient(opts.seconds);
  await client.ready;
  const w0 = collector.ring.written;
  const cpu0 = process.cpuUsage();
  const r = await client.done;
  clearInterval(timer);
  const cpu = process.cpuUsage(cpu0);
  const offered = (collector.ring.written - w0) / opts.seconds;
  const delivered = r.flows / opts.seconds;
  // Server CPU per delivered flow: the number that shows a serving-path regression at any rate.
  const usPerFlow = r.flows ? (cpu.user + cpu.system) / r.flows : 0;
  console.log(
    `getflows-server: offered ${fmt(offered)} flows/s, delivered ${fmt(delivered)} flows/s, LostEvents ${fmt(r.lostEvents)} in ${r.lostMessages} messages, CPU server ${fmt((100 * (cpu.user + cpu.system)) / 1e6 / opts.seconds)}% (${usPerFlow.toFixed(1)} µs/flow) client ${fmt((100 * r.cpuSeconds) / opts.seconds)}%`,
  );
  if (r.lostEvents === 0 && delivered > best) {
    best = delivered;
    usPerFlowAtBest = usPerFlow;
  }
  await new Promise((ok) => setTimeout(ok, 500));
}
server.forceShutdown();
collector.close();
console.log(`getflows-server: best loss-free delivered rate ${fmt(best)} flows/s (target >= ${fmt(TARGET)})`);
result("GetFlows follow, serving path (synthetic)", `${fmt(best)}/s`, `>= ${fmt(TARGET)}/s`, best >= TARGET);
result(
  "GetFlows serving CPU per flow (at best rate)",
  `${usPerFlowAtBest.toFixed(1)} µs`,
  `<= ${MAX_US_PER_FLOW} µs`,
  best > 0 && usPerFlowAtBest <= MAX_US_PER_FLOW,
);
process.exit(0);
