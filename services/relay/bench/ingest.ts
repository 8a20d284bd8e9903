// Prints how many flows/s one relay peer takes in from a node: one flow per gRPC message
// (observer GetFlows) vs batches of 256 (flowlens.FlowStream), through the real Peer (scan, dedup, copy).
// Run: npx vite-node bench/ingest.ts   from services/relay.
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import {
  FlowSchema,
  GetFlowsResponseSchema,
  GetNodesResponseSchema,
  NodeState,
  observerServiceDefinition,
  setFlowExtension,
} from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";
import { Peer } from "../src/peers/peer.js";
import { timestampOfNs } from "../src/server/responses.js";

const SECONDS = Number(process.env.SECONDS ?? 5);
const BATCH = 256;

function response(i: number): Uint8Array {
  const f = create(FlowSchema, {
    uuid: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    nodeName: "bench-node",
    time: timestampOfNs(Date.now() * 1e6 + i),
    verdict: 1,
    IP: { source: `10.1.${(i >> 8) & 255}.${i & 255}`, destination: "10.2.0.10", ipVersion: 1 },
    l4: { protocol: { case: "TCP", value: { sourcePort: 30000 + (i % 30000), destinationPort: 5432, flags: { SYN: true } } } },
    source: { namespace: "shop", podName: `web-${i % 50}`, labels: ["k8s:app=web"], identity: 12345 },
    destination: { namespace: "shop", podName: "db-0", labels: ["k8s:app=db"], identity: 23456 },
    Summary: "TCP Flags: SYN",
  });
  setFlowExtension(f, { packets: 10n, bytes: 4096n });
  return toBinary(
    GetFlowsResponseSchema,
    create(GetFlowsResponseSchema, { responseTypes: { case: "flow", value: f }, nodeName: "bench-node" }),
  );
}

// A pool of distinct responses; uuids repeat across rounds, so dedup is sized below the pool.
const POOL = Array.from({ length: 65536 }, (_, i) => response(i));

function pump(call: grpc.ServerWritableStream<unknown, Uint8Array>, next: () => Uint8Array): void {
  let stopped = false;
  call.on("cancelled", () => {
    stopped = true;
  });
  const loop = () => {
    while (!stopped) {
      if (!call.write(next())) return void call.once("drain", loop);
    }
  };
  loop();
}

async function serve(): Promise<{ port: number; server: grpc.Server }> {
  const server = new grpc.Server();
  let i = 0;
  server.addService(observerServiceDefinition, {
    GetNodes: (_c: unknown, cb: grpc.sendUnaryData<unknown>) =>
      cb(null, create(GetNodesResponseSchema, { nodes: [{ name: "bench-node", state: NodeState.NODE_CONNECTED }] })),
    GetFlows: (call: grpc.ServerWritableStream<unknown, Uint8Array>) => pump(call, () => POOL[i++ & 65535]),
  });
  server.addService(
    {
      GetFlowBatches: {
        path: "/flowlens.FlowStream/GetFlowBatches",
        requestStream: false,
        responseStream: true,
        requestSerialize: (m: Uint8Array) => Buffer.from(m),
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (m: Uint8Array) => Buffer.from(m.buffer, m.byteOffset, m.byteLength),
        responseDeserialize: (b: Buffer) => b,
      },
    },
    {
      GetFlowBatches: (call: grpc.ServerWritableStream<unknown, Uint8Array>) =>
        pump(call, () => {
          const w = new BinaryWriter();
          for (let k = 0; k < BATCH; k++) w.tag(1, WireType.LengthDelimited).bytes(POOL[i++ & 65535]);
          return w.finish();
        }),
    },
  );
  const port = await new Promise<number>((ok, fail) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))),
  );
  return { port, server };
}

for (const batched of [false, true]) {
  const { port, server } = await serve();
  let flows = 0;
  const peer = new Peer(
    { address: `127.0.0.1:${port}`, dedupCapacity: 16384, resumeOverlapMs: 0 },
    { flow: () => flows++, lost: () => {}, state: () => {} },
  );
  peer.batched = batched;
  peer.start();
  await new Promise((r) => setTimeout(r, 1000)); // warm-up
  const start = flows;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const rate = (flows - start) / ((performance.now() - t0) / 1000);
  console.log(
    `${batched ? `flowlens.FlowStream, ${BATCH}/message` : "observer GetFlows, 1/message"}: ${Math.round(rate)} flows/s (duplicates dropped: ${peer.duplicates})`,
  );
  peer.stop();
  server.forceShutdown();
}
process.exit(0);
