// One node behind the relay: follows its GetFlows stream, reconnects with backoff, resumes from
// a little before the last flow it saw and drops the flows it already had (by uuid).
import { create, fromBinary } from "@bufbuild/protobuf";
import {
  decodeFlowBatch,
  FlowSchema,
  flowBytesOfResponse,
  flowExtensionsRequest,
  GetFlowsRequestSchema,
  GetFlowsResponseSchema,
  GetNamespacesRequestSchema,
  type GetNamespacesResponse,
  GetNodesRequestSchema,
  type GetNodesResponse,
  type LostEventSource,
  type Node,
  NodeState,
  ServerStatusRequestSchema,
  type ServerStatusResponse,
  scanFlowHeader,
} from "@flowlens/proto";
import { Backoff, type BackoffOptions, DEFAULT_BACKOFF } from "@flowlens/runtime";
import type * as grpc from "@grpc/grpc-js";
import type { RelayFlow } from "../merge/relay-flow.js";
import { timestampOfNs } from "../server/responses.js";
import { type ObserverClient, observerClient, type PeerTls, unary } from "./client.js";
import { SeenUuids } from "./dedup.js";
import { batchClientOn } from "./flow-batch.js";
import { checkWire } from "./wire-check.js";

export interface PeerOptions {
  address: string;
  tls?: PeerTls;
  /** uuids remembered per node for dropping what a resumed stream sends again. */
  dedupCapacity: number;
  /** How far before the last flow seen a resumed stream starts (flow times are only nearly ordered). */
  resumeOverlapMs: number;
  backoff?: BackoffOptions;
  /** Deadline of the unary calls to the node. */
  callTimeoutMs?: number;
  log?(msg: string): void;
}

export interface PeerListener {
  flow(f: RelayFlow): void;
  lost(node: string, source: LostEventSource, count: number, timeNs: number): void;
  /** The node's connection state changed; message says why it failed. */
  state(peer: Peer, state: NodeState, message: string): void;
  /** A message from the node did not decode: dropped and counted (peer.malformed), the stream restarts. */
  malformed(peer: Peer, message: string): void;
}

export class Peer {
  /** The node's name once it told us (GetNodes or its flows); its address until then. */
  name: string;
  version = "";
  state: NodeState = NodeState.NODE_UNAVAILABLE;
  lastError = "";
  /** Time (wall ns) of the newest flow seen from this node; 0 before the first. */
  lastTimeNs = 0;
  received = 0;
  duplicates = 0;
  connects = 0;
  /** Messages from the node that did not decode, since start. */
  malformed = 0;
  /** Pull through flowlens.FlowStream (many flows per message) until the node says it does not serve it. */
  batched = true;
  private readonly seen: SeenUuids;
  private readonly backoff: Backoff;
  private client: ObserverClient | undefined;
  private call: grpc.ClientReadableStream<Buffer> | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly callTimeoutMs: number;

  constructor(
    readonly opts: PeerOptions,
    private readonly listener: PeerListener,
  ) {
    this.name = opts.address;
    this.seen = new SeenUuids(opts.dedupCapacity);
    this.backoff = new Backoff(opts.backoff ?? DEFAULT_BACKOFF);
    this.callTimeoutMs = opts.callTimeoutMs ?? 3000;
  }

  get address(): string {
    return this.opts.address;
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.call?.cancel();
    this.client?.close();
    this.client = undefined;
  }

  /** The node's own view of itself (GetNodes on the node), with the relay's connection state. */
  async node(): Promise<Node | undefined> {
    if (!this.client || this.state !== NodeState.NODE_CONNECTED) return undefined;
    const r = await unary<GetNodesResponse>(this.client, "GetNodes", create(GetNodesRequestSchema, {}), this.callTimeoutMs);
    return r.nodes[0];
  }

  async status(): Promise<ServerStatusResponse | undefined> {
    if (!this.client || this.state !== NodeState.NODE_CONNECTED) return undefined;
    return unary<ServerStatusResponse>(this.client, "ServerStatus", create(ServerStatusRequestSchema, {}), this.callTimeoutMs);
  }

  async namespaces(): Promise<GetNamespacesResponse | undefined> {
    if (!this.client || this.state !== NodeState.NODE_CONNECTED) return undefined;
    return unary<GetNamespacesResponse>(this.client, "GetNamespaces", create(GetNamespacesRequestSchema, {}), this.callTimeoutMs);
  }

  private setState(state: NodeState, message: string): void {
    const changed = state !== this.state || message !== this.lastError;
    this.state = state;
    this.lastError = message;
    if (changed) this.listener.state(this, state, message);
  }

  private retry(): void {
    if (this.stopped) return;
    this.client?.close();
    this.client = undefined;
    this.retryTimer = setTimeout(() => void this.connect(), this.backoff.next());
    this.retryTimer.unref();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    // A new channel per attempt: grpc-js's own reconnect backoff would otherwise add its wait to ours.
    const client = observerClient(this.address, this.opts.tls);
    this.client = client;
    try {
      // GetNodes names the node (collectors answer with themselves); Hubble agents may not serve it.
      const nodes = await unary<GetNodesResponse>(client, "GetNodes", create(GetNodesRequestSchema, {}), this.callTimeoutMs).catch(
        async (e: grpc.ServiceError) => {
          if (e.code !== 12 /* UNIMPLEMENTED */) throw e;
          await unary(client, "ServerStatus", create(ServerStatusRequestSchema, {}), this.callTimeoutMs);
          return undefined;
        },
      );
      if (nodes?.nodes[0]?.name) this.name = nodes.nodes[0].name;
      if (nodes?.nodes[0]?.version) this.version = nodes.nodes[0].version;
    } catch (e) {
      if (this.stopped) return;
      this.setState(NodeState.NODE_UNAVAILABLE, `${this.address}: ${(e as grpc.ServiceError).details || (e as Error).message}`);
      this.retry();
      return;
    }
    if (this.stopped) return;
    this.follow(client);
  }

  private follow(client: ObserverClient): void {
    // The first connection reads the node's whole ring (since the epoch); later ones resume.
    const sinceNs = this.lastTimeNs > 0 ? this.lastTimeNs - this.opts.resumeOverlapMs * 1e6 : 0;
    const req = create(GetFlowsRequestSchema, {
      follow: true,
      since: timestampOfNs(Math.max(0, sinceNs)),
      extensions: flowExtensionsRequest(),
    });
    const batched = this.batched;
    const call = batched ? batchClientOn(client).GetFlowBatches(req) : client.GetFlows(req);
    this.call = call;
    this.connects++;
    this.setState(NodeState.NODE_CONNECTED, "");
    // The backoff starts over only once the stream proved healthy, so a stream that fails at once keeps backing off.
    let healthy = false;
    const proven = () => {
      if (healthy) return;
      healthy = true;
      this.backoff.reset();
    };
    const aliveTimer = setTimeout(proven, 5000);
    aliveTimer.unref();
    let failed = false;
    const fail = (message: string) => {
      if (failed || this.stopped || this.call !== call) return;
      failed = true;
      clearTimeout(aliveTimer);
      this.setState(NodeState.NODE_ERROR, `${this.name}: ${message}`);
      this.retry();
    };
    // A hostile or broken node costs one counted message and its stream, never the relay.
    const receive = (b: Buffer) => {
      if (failed) return;
      try {
        if (batched) for (const r of decodeFlowBatch(b)) this.onResponse(r);
        else this.onResponse(b);
      } catch (e) {
        this.malformed++;
        const why = `malformed message (${b.length} bytes): ${(e as Error).message}`;
        this.listener.malformed(this, why);
        fail(why);
        call.cancel();
        return;
      }
      proven();
    };
    call.on("data", receive);
    call.on("error", (e: grpc.ServiceError) => {
      if (batched && e.code === 12 /* UNIMPLEMENTED: a Hubble agent */ && !this.stopped && this.call === call) {
        this.batched = false;
        clearTimeout(aliveTimer);
        this.opts.log?.(`node ${this.name} (${this.address}) does not serve flowlens.FlowStream: following its GetFlows`);
        this.follow(client);
        return;
      }
      fail(e.details || e.message);
    });
    call.on("end", () => fail("the node ended its flow stream"));
  }

  private onResponse(b: Uint8Array): void {
    const flowBytes = flowBytesOfResponse(b);
    if (flowBytes === undefined) {
      const r = fromBinary(GetFlowsResponseSchema, b);
      if (r.responseTypes.case === "lostEvents") {
        const t = r.time ? Number(r.time.seconds) * 1e9 + r.time.nanos : Date.now() * 1e6;
        this.listener.lost(r.nodeName || this.name, r.responseTypes.value.source, Number(r.responseTypes.value.numEventsLost), t);
      }
      return; // node status events of a relay behind us are not forwarded
    }
    checkWire(FlowSchema, flowBytes);
    const h = scanFlowHeader(flowBytes);
    if (h.uuid && !this.seen.add(h.uuid)) {
      this.duplicates++;
      return;
    }
    if (h.nodeName && this.name === this.address) this.name = h.nodeName;
    if (h.timeNs > this.lastTimeNs) this.lastTimeNs = h.timeNs;
    this.received++;
    // Copy out of grpc-js's buffer: the flow may live in the relay's ring and Kafka buffer for a while.
    this.listener.flow({
      kind: "flow",
      node: h.nodeName || this.name,
      uuid: h.uuid,
      timeNs: h.timeNs,
      bytes: Uint8Array.prototype.slice.call(flowBytes),
    });
  }
}
