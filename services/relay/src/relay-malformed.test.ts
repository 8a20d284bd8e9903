// A hostile (or broken) node behind the relay: malformed bytes on its flow stream — a batch whose
// framing is cut, a response with a truncated flow, garbage on GetFlows — cost one counted message
// each (peer counter, metric, the relay's lost events), the node is NODE_ERROR and is reconnected,
// and the good node's flows go on. The relay runs in this process: a crash fails the file.
import { create, toBinary } from "@bufbuild/protobuf";
import {
  encodeFlowBatch,
  type Flow,
  FlowSchema,
  GetFlowsRequestSchema,
  type GetFlowsResponse,
  GetFlowsResponseSchema,
  GetNodesRequestSchema,
  type GetNodesResponse,
  GetNodesResponseSchema,
  LostEventSource,
  NodeState,
  observerServiceDefinition,
  ServerStatusRequestSchema,
  type ServerStatusResponse,
  ServerStatusResponseSchema,
} from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createRelayMetrics } from "./metrics.js";
import { Relay } from "./relay.js";
import { createRelayObserverHandlers } from "./server/observer.js";
import { FakeNode, testFlow } from "./testkit.js";

const raw = (b: Buffer) => b;
const flowStream: grpc.ServiceDefinition = {
  GetFlowBatches: {
    path: "/flowlens.FlowStream/GetFlowBatches",
    requestStream: false,
    responseStream: true,
    requestDeserialize: raw,
    requestSerialize: raw,
    responseSerialize: raw,
    responseDeserialize: raw,
  },
};

/** A node that names itself properly, then sends `payload()` on every flow stream it is asked for. */
class HostileNode {
  connects = 0;
  private server: grpc.Server | undefined;
  port = 0;

  constructor(
    readonly name: string,
    readonly batched: boolean,
    readonly payload: () => Buffer[],
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = new grpc.Server();
    const stream = (call: grpc.ServerWritableStream<unknown, Buffer>) => {
      this.connects++;
      for (const b of this.payload()) call.write(b);
    };
    server.addService(
      { ...observerServiceDefinition, GetFlows: { ...observerServiceDefinition.GetFlows, responseSerialize: raw } },
      {
        GetFlows: this.batched ? () => {} : stream,
        GetNodes: (_c: unknown, cb: grpc.sendUnaryData<unknown>) =>
          cb(null, create(GetNodesResponseSchema, { nodes: [{ name: this.name, state: NodeState.NODE_CONNECTED }] })),
        ServerStatus: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, create(ServerStatusResponseSchema, {})),
        GetNamespaces: () => {},
        GetAgentEvents: () => {},
        GetDebugEvents: () => {},
      },
    );
    if (this.batched) server.addService(flowStream, { GetFlowBatches: stream });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    this.server = server;
  }

  stop(): void {
    this.server?.forceShutdown();
  }
}

const varint = (n: number) => {
  const out: number[] = [];
  for (; n > 0x7f; n >>>= 7) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return Buffer.from(out);
};
const response = (f: Flow) =>
  toBinary(GetFlowsResponseSchema, create(GetFlowsResponseSchema, { responseTypes: { case: "flow", value: f }, nodeName: f.nodeName }));
const t0 = Date.now() - 10_000;
let seq = 0;

const good = new FakeNode("node-good");
// A well-framed batch: one good flow, then a response whose flow is cut short (its length says 200 bytes).
const cutBatch = new HostileNode("node-cut", true, () => {
  const ok = response(testFlow("node-cut", `cut-${++seq}`, t0 + seq));
  const cut = response(testFlow("node-cut", `cut-${++seq}`, t0 + seq)).slice(0, 20);
  return [Buffer.from(encodeFlowBatch([ok, cut]))];
});
// A batch whose own framing lies: field 1, length 2^21, three bytes of data.
const badFraming = new HostileNode("node-frame", true, () => [Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x01, 1, 2, 3])]);
// GetFlows (a Hubble-style node): bytes that are not a GetFlowsResponse at all.
const garbage = new HostileNode("node-garbage", false, () => [Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x08])]);
// Well framed down to the flow's own fields, but its IP message (field 5) is garbage inside: the
// relay would pass it on to every client, filter and sink that decodes it.
const nested = new HostileNode("node-nested", true, () => {
  const f = toBinary(FlowSchema, testFlow("node-nested", `nested-${++seq}`, t0 + seq));
  const poison = Buffer.concat([Buffer.from(f), Buffer.from([0x2a, 0x03, 0x0a, 0x7f, 0x01])]);
  const r = toBinary(GetFlowsResponseSchema, create(GetFlowsResponseSchema, { nodeName: "node-nested" }));
  const resp = Buffer.concat([Buffer.from(r), Buffer.from([0x0a]), varint(poison.length), poison]);
  return [Buffer.from(encodeFlowBatch([resp]))];
});
const hostile = [cutBatch, badFraming, garbage, nested];

let relay: Relay;
let server: grpc.Server;
let client: grpc.Client & Record<string, Function>;
const logs: string[] = [];
const unary = <T>(m: string, req: unknown) =>
  new Promise<T>((resolve, reject) => client[m](req, (e: Error | null, r: T) => (e ? reject(e) : resolve(r))));
const until = (what: string, cond: () => boolean, ms = 10_000) =>
  vi.waitFor(
    () => {
      if (!cond()) throw new Error(`timed out waiting for ${what}; log:\n${logs.join("\n")}`);
    },
    { timeout: ms, interval: 20 },
  );
const peer = (n: { address: string }) => relay.peers.find((p) => p.address === n.address);

beforeAll(async () => {
  for (let i = 0; i < 3; i++) good.flows.push(testFlow("node-good", `good-${i}`, t0 + i));
  await good.start();
  for (const h of hostile) await h.start();
  relay = new Relay({
    nodeName: "relay-test",
    addresses: [good.address, ...hostile.map((h) => h.address)],
    // Long enough that a failed node is seen as NODE_ERROR before its retry, short enough to see the retry.
    peers: { dedupCapacity: 1000, resumeOverlapMs: 5000, backoff: { initialMs: 1500, maxMs: 1500, jitter: 0 } },
    ringSize: 1000,
    sortBufferSize: 100,
    sortBufferDrainTimeoutMs: 100,
    log: (m) => logs.push(m),
  });
  relay.start();
  server = new grpc.Server();
  server.addService(observerServiceDefinition, createRelayObserverHandlers(relay, "test"));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const Client = grpc.makeGenericClientConstructor(observerServiceDefinition, "Observer");
  client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as typeof client;
});

afterAll(async () => {
  client?.close();
  server?.forceShutdown();
  await relay?.stop();
  good.stop();
  for (const h of hostile) h.stop();
});

describe("malformed bytes from a node", () => {
  it("cost one counted message each; the node is NODE_ERROR; the good node goes on", async () => {
    await until("each hostile node's first malformed message", () => hostile.every((h) => peer(h)?.malformed === 1));
    const nodes = await unary<GetNodesResponse>("GetNodes", create(GetNodesRequestSchema, {}));
    const state = Object.fromEntries(nodes.nodes.map((n) => [n.name, n.state]));
    expect(state).toEqual({
      "node-good": NodeState.NODE_CONNECTED,
      "node-cut": NodeState.NODE_ERROR,
      "node-frame": NodeState.NODE_ERROR,
      "node-garbage": NodeState.NODE_ERROR,
      "node-nested": NodeState.NODE_ERROR,
    });
    for (const h of hostile) expect(peer(h)?.lastError).toMatch(new RegExp(`^${h.name}: malformed message \\(\\d+ bytes\\): .+`));
    expect(logs.filter((l) => l.includes("dropped a malformed message"))).toHaveLength(4);

    // The good flow in front of the cut one was kept; the good node's history and new flows arrive.
    expect(relay.receivedByNode.get("node-cut")).toBeGreaterThanOrEqual(1);
    good.push(testFlow("node-good", "good-new", Date.now()));
    await until("the good node's new flow", () => relay.receivedByNode.get("node-good") === 4);
    expect(peer(good)?.state).toBe(NodeState.NODE_CONNECTED);
  });

  it("shows in the relay's lost events, its status and its metrics", async () => {
    const status = await unary<ServerStatusResponse>("ServerStatus", create(ServerStatusRequestSchema, {}));
    const lost = status.flowlensLostEvents.find((l) => l.source === LostEventSource.UNKNOWN_LOST_EVENT_SOURCE);
    const total = hostile.reduce((n, h) => n + (peer(h)?.malformed ?? 0), 0);
    expect(Number(lost?.numEventsLost)).toBe(total);
    expect(status.unavailableNodes.sort()).toEqual(hostile.map((h) => h.name).sort());
    const text = await createRelayMetrics(() => relay, "test").registry.metrics();
    for (const h of hostile)
      expect(text).toMatch(
        new RegExp(`flowlens_relay_node_malformed_messages\\{node="${h.name}",address="${h.address}"\\} ${peer(h)?.malformed}\\n`),
      );
    // Followers of the relay's stream get them as lost events of the node.
    const lostNodes: string[] = [];
    for (let s = relay.ring.oldest; s < relay.ring.written; s++) {
      const item = relay.ring.get(s);
      if (item?.kind === "lost" && item.source === LostEventSource.UNKNOWN_LOST_EVENT_SOURCE) lostNodes.push(item.node);
    }
    expect(new Set(lostNodes)).toEqual(new Set(hostile.map((h) => h.name)));
  });

  it("passes no malformed flow on: a filtered GetFlows of the relay decodes every flow it holds", async () => {
    const received = () => [...relay.receivedByNode.values()].reduce((a, b) => a + b, 0);
    await until("every flow received merged into the ring", () => relay.emitted === received());
    const rs = await new Promise<GetFlowsResponse[]>((resolve, reject) => {
      const out: GetFlowsResponse[] = [];
      const call = client.GetFlows(
        create(GetFlowsRequestSchema, { whitelist: [{ sourcePod: ["default/"] }] }),
      ) as grpc.ClientReadableStream<GetFlowsResponse>;
      call.on("data", (r: GetFlowsResponse) => out.push(r));
      call.on("end", () => resolve(out));
      call.on("error", reject);
    });
    const nodes = new Set(rs.flatMap((r) => (r.responseTypes.case === "flow" ? [r.responseTypes.value.nodeName] : [])));
    expect(nodes.has("node-good")).toBe(true);
    expect(nodes.has("node-nested")).toBe(false);
  });

  it("reconnects the node and survives it again", async () => {
    const goodConnects = peer(good)?.connects;
    await until("a retry of every hostile node", () => hostile.every((h) => h.connects >= 2 && (peer(h)?.malformed ?? 0) >= 2), 8000);
    expect(peer(good)?.connects).toBe(goodConnects);
    expect(peer(good)?.state).toBe(NodeState.NODE_CONNECTED);
    good.push(testFlow("node-good", "good-later", Date.now()));
    await until("the good node's later flow", () => relay.receivedByNode.get("node-good") === 5);
  });
});
