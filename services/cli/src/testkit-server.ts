// A real grpc-js server with fake data behind the real Observer, Health and Endpoints interfaces, for in-process tests.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type AddEndpointRequest,
  AddEndpointResponseSchema,
  type DeleteEndpointRequest,
  DeleteEndpointResponseSchema,
  Endpoints,
  type Flow,
  FlowSchema,
  type GetFlowsRequest,
  GetFlowsResponseSchema,
  GetNamespacesResponseSchema,
  GetNodesResponseSchema,
  grpcServiceDefinition,
  IPVersion,
  ListEndpointsResponseSchema,
  NodeState,
  observerServiceDefinition,
  ServerStatusResponseSchema,
  TrafficDirection,
  Verdict,
} from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";
import { healthServiceDefinition } from "./health.js";

/** A TCP flow web → db at `ms`, `n` making ports and ids distinct. */
export function sampleFlow(n: number, ms = Date.UTC(2024, 10, 26, 6, 30, 1, 123)): Flow {
  return create(FlowSchema, {
    time: timestampFromMs(ms + n),
    uuid: `uuid-${n}`,
    verdict: Verdict.FORWARDED,
    IP: { source: "10.200.0.2", destination: "10.200.0.3", ipVersion: IPVersion.IPv4 },
    l4: { protocol: { case: "TCP", value: { sourcePort: 40000 + n, destinationPort: 5432, flags: { SYN: true } } } },
    source: { ID: 11, identity: 1234, namespace: "shop", podName: "web", labels: ["app=web"] },
    destination: { ID: 12, identity: 5678, namespace: "shop", podName: "db", labels: ["app=db"] },
    eventType: { type: 4, subType: 0 },
    nodeName: "node-a",
    isReply: false,
    trafficDirection: TrafficDirection.EGRESS,
    Summary: "",
  });
}

const tsNs = (t: { seconds: bigint; nanos: number } | undefined) => (t ? t.seconds * 1_000_000_000n + BigInt(t.nanos) : 0n);

export interface FakeServer {
  address: string;
  /** GetFlows requests received, in order. */
  requests: GetFlowsRequest[];
  /** Sends a flow to every open --follow stream. */
  push(flow: Flow): void;
  /** Number of --follow streams still open. */
  openStreams(): number;
  endpoints: Map<string, { name: string; namespace: string; interface: string; netns: string }>;
  close(): Promise<void>;
}

/** `status`: ServerStatus counters to answer with (default: a ring that has been lapped). */
export async function startFakeServer(history: Flow[], status: { numFlows?: bigint; seenFlows?: bigint } = {}): Promise<FakeServer> {
  const server = new grpc.Server();
  const requests: GetFlowsRequest[] = [];
  const streams = new Set<grpc.ServerWritableStream<GetFlowsRequest, unknown>>();
  const endpoints = new Map<string, { name: string; namespace: string; interface: string; netns: string }>();
  const respond = (flow: Flow) =>
    create(GetFlowsResponseSchema, { responseTypes: { case: "flow", value: flow }, nodeName: flow.nodeName, time: flow.time });

  server.addService(observerServiceDefinition, {
    GetFlows(call: grpc.ServerWritableStream<GetFlowsRequest, unknown>) {
      requests.push(call.request);
      const n = Number(call.request.number);
      // like the ring: --since picks the flows at or after it (then the count applies)
      const since = call.request.since;
      const ring = since ? history.filter((f) => tsNs(f.time) >= tsNs(since)) : history;
      const past = call.request.first ? ring.slice(0, n) : n > 0 ? ring.slice(-n) : call.request.follow && !since ? [] : ring;
      for (const f of past) call.write(respond(f));
      if (!call.request.follow) return call.end();
      streams.add(call);
      call.on("cancelled", () => streams.delete(call));
      call.on("close", () => streams.delete(call));
    },
    GetAgentEvents: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
    GetDebugEvents: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end(),
    ServerStatus(_call: unknown, cb: grpc.sendUnaryData<unknown>) {
      cb(
        null,
        create(ServerStatusResponseSchema, {
          numFlows: status.numFlows ?? 1234n,
          maxFlows: 4095n,
          seenFlows: status.seenFlows ?? 99999n,
          uptimeNs: 3_600_000_000_000n,
          flowsRate: 12.345,
          version: "flowlens 0.1.0",
        }),
      );
    },
    GetNodes(_call: unknown, cb: grpc.sendUnaryData<unknown>) {
      cb(
        null,
        create(GetNodesResponseSchema, {
          nodes: [
            { name: "node-b", state: NodeState.NODE_UNAVAILABLE },
            {
              name: "node-a",
              state: NodeState.NODE_CONNECTED,
              uptimeNs: 7_200_000_000_000n,
              numFlows: 4095n,
              maxFlows: 4095n,
              seenFlows: 72_000n,
            },
          ],
        }),
      );
    },
    GetNamespaces(_call: unknown, cb: grpc.sendUnaryData<unknown>) {
      cb(null, create(GetNamespacesResponseSchema, { namespaces: [{ namespace: "shop" }, { namespace: "default" }] }));
    },
  });
  server.addService(healthServiceDefinition, {
    Check(_call: unknown, cb: grpc.sendUnaryData<number>) {
      cb(null, 1);
    },
  });
  server.addService(grpcServiceDefinition(Endpoints), {
    ListEndpoints(_call: unknown, cb: grpc.sendUnaryData<unknown>) {
      cb(
        null,
        create(ListEndpointsResponseSchema, {
          endpoints: [...endpoints.values()].map((e, i) => ({
            ...e,
            id: i + 1,
            identity: 300 + i,
            labels: { app: e.name },
            ips: ["10.200.0.9"],
          })),
        }),
      );
    },
    AddEndpoint(call: grpc.ServerUnaryCall<AddEndpointRequest, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const e = call.request.endpoint;
      if (!e?.netns) return cb({ code: grpc.status.INVALID_ARGUMENT, details: "endpoint.netns is required" });
      const ns = e.namespace || "default";
      endpoints.set(`${ns}/${e.name}`, { name: e.name, namespace: ns, interface: e.interface, netns: e.netns });
      cb(
        null,
        create(AddEndpointResponseSchema, { endpoint: { ...e, namespace: ns, id: endpoints.size, identity: 300, ips: ["10.200.0.9"] } }),
      );
    },
    DeleteEndpoint(call: grpc.ServerUnaryCall<DeleteEndpointRequest, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const key = `${call.request.namespace}/${call.request.name}`;
      const e = endpoints.get(key);
      if (!e) return cb({ code: grpc.status.NOT_FOUND, details: `endpoint ${key} not found` });
      endpoints.delete(key);
      cb(null, create(DeleteEndpointResponseSchema, { endpoint: e }));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    requests,
    endpoints,
    push: (flow) => {
      for (const s of streams) s.write(respond(flow));
    },
    openStreams: () => streams.size,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
