// A light flow source for the pipeline bench: serves flowlens.FlowStream like a collector, but does no
// decoding: flows the real collector encoded once at start (4,096 realistic templates, extensions
// included) get a fresh uuid and the current time per flow. It measures the cluster side (relay, Kafka,
// ingester, ClickHouse) without the collector's own CPU on the same two cores. Like a collector, it
// does not wait for a slow relay: when 64 batches (16,384 flows) are queued on the stream, the flows of
// that tick are dropped and counted.
// Usage: node bench/lib/light-collector.mjs --port P --rate 50000 --seconds 60
import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import {
  encodeFlowBatch,
  FlowSchema,
  flowBytesOfResponse,
  GetFlowsResponseSchema,
  GetNamespacesResponseSchema,
  GetNodesResponseSchema,
  NodeState,
  observerServiceDefinition,
  ServerStatusResponseSchema,
} from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";
import { Collector } from "../../services/collector/dist/collector.js";
import { BatchQueue } from "../../services/collector/dist/datapath/batch-queue.js";
import { EndpointRegistry } from "../../services/collector/dist/endpoints/registry.js";
import { KernelDropReasons } from "../../services/collector/dist/flows/kernel-drop-reasons.js";
import { flowStreamDefinition } from "../../services/collector/dist/server/flow-stream.js";
import { parseFlags } from "./args.mjs";
import { buildBatches } from "./records.mjs";

const opts = parseFlags({ port: 0, rate: 50000, seconds: 60, nodeName: "synthetic" });
const F_TIME = FlowSchema.field.time.number;
const F_UUID = FlowSchema.field.uuid.number;
const R_FLOW = GetFlowsResponseSchema.field.flow.number;
const R_NODE = GetFlowsResponseSchema.field.nodeName.number;
const BATCH = 256;
const MAX_QUEUED_BATCHES = 64;

// Templates: flows as the real collector encodes them, without their uuid and time.
const collector = new Collector({
  nodeName: opts.nodeName,
  version: "bench",
  address: "light",
  bufferSize: 4096,
  registry: new EndpointRegistry(),
  hostIps: new Set(),
  dropReasons: await KernelDropReasons.load(),
  ifname: () => "synth0",
  log: () => {},
});
const queue = new BatchQueue(collector.decoder, () => {});
const { batches } = buildBatches({ batches: 1, batchSize: 4096, flows: 65536, window: 8192, mix: "flow" });
queue.push(Buffer.from(batches[0].buf), batches[0].offsets, 4096);
queue.flush();
const templates = [];
for (let s = collector.ring.oldest; s < collector.ring.written; s++) {
  const e = collector.ring.get(s);
  const flow = e && flowBytesOfResponse(collector.observerState().deps.responseOf(e, true));
  if (!flow) continue;
  const r = new BinaryReader(flow);
  const w = new BinaryWriter();
  while (r.pos < r.len) {
    const start = r.pos;
    const [no, wt] = r.tag();
    r.skip(wt, no);
    if (no !== F_TIME && no !== F_UUID) w.raw(flow.subarray(start, r.pos));
  }
  templates.push(w.finish());
}

const hex = randomBytes(9).toString("hex");
const uuidPrefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(12, 15)}-8${hex.slice(15, 18)}`;
let counter = 0;
function response() {
  const ms = Date.now();
  const w = new BinaryWriter();
  w.tag(R_FLOW, WireType.LengthDelimited).fork();
  w.raw(templates[counter % templates.length]);
  w.tag(F_TIME, WireType.LengthDelimited)
    .fork()
    .tag(1, WireType.Varint)
    .int64(Math.floor(ms / 1000));
  w.tag(2, WireType.Varint)
    .int32((ms % 1000) * 1e6 + (counter % 1e6))
    .join();
  w.tag(F_UUID, WireType.LengthDelimited).string(`${uuidPrefix}-${(counter++).toString(16).padStart(12, "0")}`);
  w.join();
  w.tag(R_NODE, WireType.LengthDelimited).string(opts.nodeName);
  return w.finish();
}

let follower;
const server = new grpc.Server();
server.addService(observerServiceDefinition, {
  GetNodes: (_c, cb) =>
    cb(null, create(GetNodesResponseSchema, { nodes: [{ name: opts.nodeName, version: "bench", state: NodeState.NODE_CONNECTED }] })),
  ServerStatus: (_c, cb) => cb(null, create(ServerStatusResponseSchema, {})),
  GetNamespaces: (_c, cb) => cb(null, create(GetNamespacesResponseSchema, {})),
  GetFlows: (call) => call.emit("error", { code: grpc.status.UNIMPLEMENTED, details: "light source: FlowStream only" }),
  GetAgentEvents: (call) => call.end(),
  GetDebugEvents: (call) => call.end(),
});
server.addService(flowStreamDefinition, {
  GetFlowBatches: (call) => {
    follower ??= call;
  },
});
await new Promise((ok, fail) =>
  server.bindAsync(`127.0.0.1:${opts.port}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? fail(e) : ok())),
);
process.stderr.write("ready\n");
while (!follower) await new Promise((r) => setTimeout(r, 50));

let fed = 0;
let served = 0;
let dropped = 0;
const tickMs = 50;
const perTick = Math.round((opts.rate * tickMs) / 1000);
const end = Date.now() + opts.seconds * 1000;
let next = Date.now();
while (Date.now() < end) {
  fed += perTick;
  if (follower.writableLength >= MAX_QUEUED_BATCHES) dropped += perTick;
  else {
    for (let left = perTick; left > 0; left -= BATCH) {
      const n = Math.min(BATCH, left);
      follower.write(encodeFlowBatch(Array.from({ length: n }, response)));
      served += n;
    }
  }
  next += tickMs;
  await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
}
while (follower.writableLength > 0) await new Promise((r) => setTimeout(r, 20));
await new Promise((r) => setTimeout(r, 1500));
console.log(JSON.stringify({ fed, served, queueDropped: dropped }));
process.exit(0);
