// The relay in-process against stand-in nodes: merge, per-node --last, node status events,
// a node failing and coming back (resume without duplicates), export of every flow.
import { create } from "@bufbuild/protobuf";
import {
  type Flow,
  flowExtensionsRequest,
  GetFlowsRequestSchema,
  type GetFlowsResponse,
  GetNamespacesRequestSchema,
  type GetNamespacesResponse,
  GetNodesRequestSchema,
  type GetNodesResponse,
  LostEventSource,
  NodeState,
  observerServiceDefinition,
  ServerStatusRequestSchema,
  type ServerStatusResponse,
} from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { RelayFlow } from "./merge/relay-flow.js";
import { createRelayMetrics } from "./metrics.js";
import { Relay } from "./relay.js";
import { createRelayObserverHandlers } from "./server/observer.js";
import { BufferedSink } from "./sinks/sink.js";
import { FakeNode, testFlow } from "./testkit.js";

const Client = grpc.makeGenericClientConstructor(observerServiceDefinition, "Observer");
type AnyClient = grpc.Client & Record<string, Function>;

const a = new FakeNode("node-a");
const b = new FakeNode("node-b");
const exported: string[] = [];
let relay: Relay;
let server: grpc.Server;
let client: AnyClient;
const t0 = Date.now() - 60_000;

function getFlows(req: Parameters<typeof create<typeof GetFlowsRequestSchema>>[1]): Promise<GetFlowsResponse[]> {
  return new Promise((resolve, reject) => {
    const out: GetFlowsResponse[] = [];
    const s = client.GetFlows(create(GetFlowsRequestSchema, req)) as grpc.ClientReadableStream<GetFlowsResponse>;
    s.on("data", (r: GetFlowsResponse) => out.push(r));
    s.on("end", () => resolve(out));
    s.on("error", reject);
  });
}
const unary = <T>(m: string, req: unknown) =>
  new Promise<T>((resolve, reject) => client[m](req, (e: Error | null, r: T) => (e ? reject(e) : resolve(r))));
const flows = (rs: GetFlowsResponse[]): Flow[] => rs.flatMap((r) => (r.responseTypes.case === "flow" ? [r.responseTypes.value] : []));
const until = (what: string, cond: () => boolean, ms = 10_000) =>
  vi.waitFor(
    () => {
      if (!cond()) throw new Error(`timed out waiting for ${what}`);
    },
    { timeout: ms, interval: 20 },
  );

beforeAll(async () => {
  // Histories interleaved in time: a at even ms, b at odd ms.
  for (let i = 0; i < 10; i++) a.flows.push(testFlow("node-a", `a${i}`, t0 + 2 * i));
  for (let i = 0; i < 10; i++) b.flows.push(testFlow("node-b", `b${i}`, t0 + 2 * i + 1));
  await a.start();
  await b.start();
  const sink = new BufferedSink(
    {
      deliver: async (batch: RelayFlow[]) => {
        exported.push(...batch.map((f) => f.uuid));
      },
      close: async () => {},
    },
    { maxFlows: 1000, maxBytes: 1 << 20, batchFlows: 50, lingerMs: 5, retryInitialMs: 10, retryMaxMs: 50 },
  );
  relay = new Relay({
    nodeName: "relay-test",
    addresses: [a.address, b.address],
    peers: { dedupCapacity: 1000, resumeOverlapMs: 5000, backoff: { initialMs: 100, maxMs: 400, jitter: 0 } },
    ringSize: 1000,
    sortBufferSize: 100,
    sortBufferDrainTimeoutMs: 200,
    sink,
    log: () => {},
  });
  relay.start();
  server = new grpc.Server();
  server.addService(observerServiceDefinition, createRelayObserverHandlers(relay, "test"));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as AnyClient;
  await until("both histories merged", () => relay.emitted === 20);
});

afterAll(async () => {
  client?.close();
  server?.forceShutdown();
  await relay?.stop();
  a.stop();
  b.stop();
});

describe("relay", () => {
  it("merges both nodes' histories into one stream in time order", async () => {
    const rs = await getFlows({});
    const status = rs.filter((r) => r.responseTypes.case === "nodeStatus");
    expect(status[0]?.responseTypes.value).toMatchObject({ stateChange: NodeState.NODE_CONNECTED });
    expect((status[0].responseTypes.value as { nodeNames: string[] }).nodeNames.sort()).toEqual(["node-a", "node-b"]);
    const uuids = flows(rs).map((f) => f.uuid);
    expect(uuids).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 ? `b${(i - 1) / 2}` : `a${i / 2}`)));
  });

  it("--last N counts per node, as Hubble's relay does", async () => {
    const uuids = flows(await getFlows({ number: 3n })).map((f) => f.uuid);
    expect(uuids).toEqual(["a7", "b7", "a8", "b8", "a9", "b9"]);
    const first = flows(await getFlows({ number: 2n, first: true })).map((f) => f.uuid);
    expect(first).toEqual(["a0", "b0", "a1", "b1"]);
  });

  it("filters, since/until, and extensions only on request", async () => {
    const rs = await getFlows({
      whitelist: [{ sourcePod: ["default/node-b-a"] }],
      since: { seconds: BigInt(Math.floor((t0 + 10) / 1000)), nanos: ((t0 + 10) % 1000) * 1e6 },
    });
    const uuids = flows(rs).map((f) => f.uuid);
    expect(uuids.every((u) => u.startsWith("b"))).toBe(true);
    expect(uuids).toEqual(["b5", "b6", "b7", "b8", "b9"]);
    const withExt = await getFlows({ number: 1n, extensions: flowExtensionsRequest() });
    expect(flows(withExt).length).toBe(2);
  });

  it("answers ServerStatus, GetNodes and GetNamespaces for the cluster", async () => {
    const st = await unary<ServerStatusResponse>("ServerStatus", create(ServerStatusRequestSchema, {}));
    expect(st.numConnectedNodes).toBe(2);
    expect(st.numUnavailableNodes).toBe(0);
    expect(st.seenFlows).toBe(20n);
    const nodes = await unary<GetNodesResponse>("GetNodes", create(GetNodesRequestSchema, {}));
    expect(nodes.nodes.map((n) => [n.name, n.state, n.address]).sort()).toEqual([
      ["node-a", NodeState.NODE_CONNECTED, a.address],
      ["node-b", NodeState.NODE_CONNECTED, b.address],
    ]);
    const ns = await unary<GetNamespacesResponse>("GetNamespaces", create(GetNamespacesRequestSchema, {}));
    expect(ns.namespaces.map((n) => n.namespace)).toEqual(["default", "ns-node-a", "ns-node-b"]);
  });

  it("a node failing is a NODE_ERROR on the stream while the other streams on; back, it resumes without duplicates", async () => {
    const got: GetFlowsResponse[] = [];
    const s = client.GetFlows(create(GetFlowsRequestSchema, { follow: true })) as grpc.ClientReadableStream<GetFlowsResponse>;
    s.on("data", (r: GetFlowsResponse) => got.push(r));
    s.on("error", () => {});
    await until("stream start", () => got.length >= 1);
    a.stop();
    await until("NODE_ERROR", () =>
      got.some((r) => r.responseTypes.case === "nodeStatus" && r.responseTypes.value.stateChange === NodeState.NODE_ERROR),
    );
    const err = got.find((r) => r.responseTypes.case === "nodeStatus" && r.responseTypes.value.stateChange === NodeState.NODE_ERROR);
    expect(((err as GetFlowsResponse).responseTypes.value as { nodeNames: string[] }).nodeNames).toEqual(["node-a"]);
    const now = Date.now();
    for (let i = 0; i < 5; i++) b.push(testFlow("node-b", `b-live${i}`, now + i));
    await until("b's live flows", () => flows(got).filter((f) => f.uuid.startsWith("b-live")).length === 5);
    const st = await unary<ServerStatusResponse>("ServerStatus", create(ServerStatusRequestSchema, {}));
    expect(st.numUnavailableNodes).toBe(1);
    expect(st.unavailableNodes).toEqual(["node-a"]);

    // Flows a made while the relay could not reach it are in its history when it comes back.
    for (let i = 0; i < 3; i++) a.flows.push(testFlow("node-a", `a-missed${i}`, now + 10 + i));
    await a.start();
    await until("reconnect", () =>
      got.some(
        (r) =>
          r.responseTypes.case === "nodeStatus" && r.responseTypes.value.stateChange === NodeState.NODE_CONNECTED && got.indexOf(r) > 0,
      ),
    );
    await until("a's missed flows", () => flows(got).filter((f) => f.uuid.startsWith("a-missed")).length === 3);
    a.push(testFlow("node-a", "a-after", Date.now()));
    await until("a's new flow", () => flows(got).some((f) => f.uuid === "a-after"));
    s.cancel();
    const all = flows(await getFlows({})).map((f) => f.uuid);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(20 + 5 + 3 + 1);
    expect(relay.peers[0].duplicates).toBeGreaterThan(0); // the resumed stream repeated some, dropped
  });

  it("falls back to GetFlows for nodes without flowlens.FlowStream (Hubble agents)", () => {
    expect(relay.peers.map((p) => p.batched)).toEqual([false, false]);
  });

  it("counts the losses a node reports on its stream, by node and source (metrics)", async () => {
    b.pushLost(LostEventSource.HUBBLE_RING_BUFFER, 7);
    b.pushLost(LostEventSource.HUBBLE_RING_BUFFER, 5);
    await until("lost events", () => relay.nodeLost.get("node-b")?.get(LostEventSource.HUBBLE_RING_BUFFER) === 12);
    const text = await createRelayMetrics(() => relay, "test").registry.metrics();
    expect(text).toContain('flowlens_relay_node_lost_events{node="node-b",source="HUBBLE_RING_BUFFER"} 12');
  });

  it("exports every merged flow exactly once", async () => {
    await until("export", () => exported.length === 29);
    expect(new Set(exported).size).toBe(29);
  });
});
