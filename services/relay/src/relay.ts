// The relay's core: peers → sort buffer → one merged feed → (the live ring for the Observer API,
// the export sink). Node state changes and export losses become events in the ring.
import { LostEventSource, NodeState } from "@flowlens/proto";
import type { RelayFlow } from "./merge/relay-flow.js";
import { type LostItem, RelayRing, type RingItem } from "./merge/ring.js";
import { SortBuffer } from "./merge/sort-buffer.js";
import { Peer, type PeerOptions } from "./peers/peer.js";
import type { FlowSink } from "./sinks/sink.js";

export interface RelayOptions {
  nodeName: string;
  peers: Omit<PeerOptions, "address">;
  addresses: string[];
  ringSize: number;
  sortBufferSize: number;
  sortBufferDrainTimeoutMs: number;
  sink?: FlowSink;
  log(msg: string): void;
}

export class Relay {
  readonly ring: RelayRing;
  readonly peers: Peer[];
  readonly startedAt = Date.now();
  /** Flows received (after dedup) by node name. */
  readonly receivedByNode = new Map<string, number>();
  /** Readers of the relay's ring lapped by its writer. */
  lapped = 0;
  /** Lost events the nodes reported on their streams (their own losses), by node and source. */
  readonly nodeLost = new Map<string, Map<LostEventSource, number>>();
  private readonly sort: SortBuffer<RelayFlow>;
  private exportDropsReported = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly rate: number[] = [];

  constructor(readonly opts: RelayOptions) {
    this.ring = new RelayRing(opts.ringSize);
    this.sort = new SortBuffer<RelayFlow>({
      capacity: opts.sortBufferSize,
      drainTimeoutMs: opts.sortBufferDrainTimeoutMs,
      timeOf: (f) => f.timeNs,
      emit: (f) => this.emit(f),
      flushed: () => this.ring.notify(),
    });
    const listener = {
      flow: (f: RelayFlow) => {
        this.receivedByNode.set(f.node, (this.receivedByNode.get(f.node) ?? 0) + 1);
        this.sort.push(f);
      },
      lost: (node: string, source: LostEventSource, count: number, timeNs: number) => {
        const bySource = this.nodeLost.get(node) ?? new Map<LostEventSource, number>();
        bySource.set(source, (bySource.get(source) ?? 0) + count);
        this.nodeLost.set(node, bySource);
        this.ring.push({ kind: "lost", node, source, count, timeNs });
        this.ring.notify();
      },
      state: (peer: Peer, state: NodeState, message: string) => {
        const via = state === NodeState.NODE_CONNECTED ? (peer.batched ? " via flowlens.FlowStream" : " via GetFlows") : "";
        opts.log(`node ${peer.name} (${peer.address}): ${NodeState[state]}${via}${message ? `: ${message}` : ""}`);
        // A stream learns about failures and recoveries; a node still unreachable on a retry is not news.
        if (state === NodeState.NODE_UNAVAILABLE) return;
        this.ring.push({ kind: "status", state, nodes: [peer.name], message, timeNs: Date.now() * 1e6 });
        this.ring.notify();
      },
      malformed: (peer: Peer, message: string) => {
        opts.log(`node ${peer.name} (${peer.address}): dropped a ${message}`);
        // Readers learn of the gap as of any other loss (Hubble's enum has no source for it: unknown).
        this.ring.push({
          kind: "lost",
          node: peer.name,
          source: LostEventSource.UNKNOWN_LOST_EVENT_SOURCE,
          count: 1,
          timeNs: Date.now() * 1e6,
        });
        this.ring.notify();
      },
    };
    this.peers = opts.addresses.map((address) => new Peer({ log: opts.log, ...opts.peers, address }, listener));
  }

  start(): void {
    this.sort.start();
    for (const p of this.peers) p.start();
    // Export drops become one lost event per second on the relay's stream (not one per flow).
    this.timer = setInterval(() => {
      this.reportExportDrops();
      this.rate.push(this.emitted);
      if (this.rate.length > 61) this.rate.shift();
    }, 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const p of this.peers) p.stop();
    this.sort.stop();
    this.sort.flush();
    await this.opts.sink?.close();
  }

  /** Flows that left the sort buffer since start. */
  emitted = 0;

  /** Flows per second over the last minute. */
  flowsRate(): number {
    if (this.rate.length < 2) return 0;
    return (this.rate[this.rate.length - 1] - this.rate[0]) / (this.rate.length - 1);
  }

  connected(): Peer[] {
    return this.peers.filter((p) => p.state === NodeState.NODE_CONNECTED);
  }

  unavailable(): Peer[] {
    return this.peers.filter((p) => p.state !== NodeState.NODE_CONNECTED);
  }

  /** The relay's own losses by source: export buffer overflow, its ring's readers lapped, nodes' malformed messages (unknown). */
  lost(): Map<LostEventSource, number> {
    const m = new Map<LostEventSource, number>();
    const malformed = this.peers.reduce((n, p) => n + p.malformed, 0);
    if (malformed) m.set(LostEventSource.UNKNOWN_LOST_EVENT_SOURCE, malformed);
    const dropped = this.opts.sink?.stats().dropped ?? 0;
    if (dropped) m.set(LostEventSource.OBSERVER_EVENTS_QUEUE, dropped);
    if (this.lapped) m.set(LostEventSource.HUBBLE_RING_BUFFER, this.lapped);
    return m;
  }

  private emit(f: RelayFlow): void {
    this.emitted++;
    this.ring.push(f);
    this.opts.sink?.write(f);
  }

  private reportExportDrops(): void {
    const dropped = this.opts.sink?.stats().dropped ?? 0;
    if (dropped <= this.exportDropsReported) return;
    const item: LostItem = {
      kind: "lost",
      node: this.opts.nodeName,
      source: LostEventSource.OBSERVER_EVENTS_QUEUE,
      count: dropped - this.exportDropsReported,
      timeNs: Date.now() * 1e6,
    };
    this.exportDropsReported = dropped;
    this.ring.push(item as RingItem);
    this.ring.notify();
  }
}
