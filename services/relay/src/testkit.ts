// A stand-in node for the relay's own tests: an Observer server on a free port that serves flows
// it is handed (as a collector would, since/follow honoured), and can be stopped and restarted.
import { create, toBinary } from "@bufbuild/protobuf";
import {
  type Flow,
  FlowSchema,
  type GetFlowsRequest,
  GetFlowsResponseSchema,
  GetNamespacesResponseSchema,
  GetNodesResponseSchema,
  type LostEventSource,
  NodeState,
  observerServiceDefinition,
  ServerStatusResponseSchema,
} from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";
import { timestampOfNs } from "./server/responses.js";

export function testFlow(node: string, uuid: string, timeMs: number, port = 80): Flow {
  return create(FlowSchema, {
    uuid,
    nodeName: node,
    // Sub-millisecond part as real flows have (and resumed requests must carry).
    time: timestampOfNs(timeMs * 1e6 + 250),
    IP: { source: "10.9.0.1", destination: "10.9.0.2", ipVersion: 1 },
    l4: { protocol: { case: "TCP", value: { sourcePort: 40000, destinationPort: port } } },
    source: { namespace: "default", podName: `${node}-a` },
    destination: { namespace: `ns-${node}`, podName: `${node}-b` },
  });
}

export class FakeNode {
  readonly flows: Flow[] = [];
  private server: grpc.Server | undefined;
  private readonly followers = new Set<grpc.ServerWritableStream<GetFlowsRequest, unknown>>();
  port = 0;

  constructor(readonly name: string) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(creds = grpc.ServerCredentials.createInsecure()): Promise<void> {
    const server = new grpc.Server();
    server.addService(observerServiceDefinition, {
      GetFlows: (call: grpc.ServerWritableStream<GetFlowsRequest, unknown>) => {
        const since = call.request.since ? Number(call.request.since.seconds) * 1000 + call.request.since.nanos / 1e6 : 0;
        for (const f of this.flows) {
          const t = Number(f.time?.seconds) * 1000 + (f.time?.nanos ?? 0) / 1e6;
          if (t >= since) call.write(this.response(f));
        }
        if (!call.request.follow) return call.end();
        this.followers.add(call);
        call.on("cancelled", () => this.followers.delete(call));
        call.on("close", () => this.followers.delete(call));
      },
      ServerStatus: (_c: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb(
          null,
          create(ServerStatusResponseSchema, {
            numFlows: BigInt(this.flows.length),
            maxFlows: 100n,
            seenFlows: BigInt(this.flows.length),
            flowsRate: 1,
          }),
        ),
      GetNodes: (_c: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb(
          null,
          create(GetNodesResponseSchema, {
            nodes: [{ name: this.name, version: "test", state: NodeState.NODE_CONNECTED, numFlows: BigInt(this.flows.length) }],
          }),
        ),
      GetNamespaces: (_c: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb(null, create(GetNamespacesResponseSchema, { namespaces: [{ namespace: "default" }, { namespace: `ns-${this.name}` }] })),
      GetAgentEvents: () => {},
      GetDebugEvents: () => {},
    });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${this.port}`, creds, (err, port) => (err ? reject(err) : resolve(port))),
    );
    this.server = server;
  }

  /** Adds a flow to the history and sends it to current followers. */
  push(f: Flow): void {
    this.flows.push(f);
    for (const c of this.followers) c.write(this.response(f));
  }

  /** Tells current followers that the node lost `count` flows (a LostEvent on the stream). */
  pushLost(source: LostEventSource, count: number): void {
    const r = toBinary(
      GetFlowsResponseSchema,
      create(GetFlowsResponseSchema, {
        responseTypes: { case: "lostEvents", value: { source, numEventsLost: BigInt(count) } },
        nodeName: this.name,
        time: timestampOfNs(Date.now() * 1e6),
      }),
    );
    for (const c of this.followers) c.write(r);
  }

  /** Stops abruptly (streams fail as when the process dies); the port is kept for a restart. */
  stop(): void {
    for (const c of this.followers) c.destroy(new Error("node stopped"));
    this.followers.clear();
    this.server?.forceShutdown();
    this.server = undefined;
  }

  private response(f: Flow): Uint8Array {
    return toBinary(
      GetFlowsResponseSchema,
      create(GetFlowsResponseSchema, { responseTypes: { case: "flow", value: f }, nodeName: this.name, time: f.time }),
    );
  }
}
