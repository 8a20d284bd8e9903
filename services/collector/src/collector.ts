// Wires the collector together: endpoints -> datapath, ring-buffer records -> live ring,
// live ring -> Observer API. Takes its dependencies; only index.ts reads flags and opens sockets.
import type { L7HttpEvent } from "@flowlens/l7-contract";
import type { Flow } from "@flowlens/proto";
import { wallNsToMono } from "./clock/monotonic.js";
import type { DatapathStats } from "./datapath/datapath.js";
import { RecordDecoder, type RingEntry } from "./datapath/decoder.js";
import type { PolicyRules } from "./datapath/decoder-hooks.js";
import { type LostEntry, LostSource } from "./datapath/lost.js";
import { type Endpoint, EndpointRegistry } from "./endpoints/registry.js";
import { DecodeBackpressure } from "./flows/backpressure.js";
import type { FlowEntry } from "./flows/entry.js";
import { FlowFactsBuilder } from "./flows/facts-builder.js";
import { FlowView } from "./flows/flow-view.js";
import type { KernelDropReasons } from "./flows/kernel-drop-reasons.js";
import { LiveRing } from "./flows/ring.js";
import { RuleTable } from "./flows/rule-table.js";
import { L7Event } from "./policy/verdict-flows/l7-flows.js";
import type { ObserverState } from "./server/observer-state.js";

/** What the collector needs of the kernel side (the real one is Datapath; tests may fake it). */
export interface DatapathPort {
  attachInterface(ifindex: number, ifname: string): void;
  detachInterface(ifindex: number): void;
  setEndpointIp(ip: string, endpointId: number): void;
  deleteEndpointIp(ip: string): void;
  stats(): DatapathStats;
  /** Entries in the kernel flow table at the last sweep. */
  readonly activeFlows: number;
  /** Failures of periodic work since start. */
  readonly errors: number;
  close(): void;
}

export interface CollectorDeps {
  nodeName: string;
  version: string;
  address: string;
  bufferSize: number;
  registry: EndpointRegistry;
  hostIps: Set<string>;
  dropReasons: KernelDropReasons;
  ifname(ifindex: number): string;
  log(msg: string): void;
}

/** Kernel skb_drop_reason numbers of tc drops (they differ between kernel releases). */
function tcDropReasons(reasons: KernelDropReasons): Set<number> {
  const out = new Set<number>();
  for (let r = 0; r < 1024; r++) if (/^TC_(INGRESS|EGRESS)$/.test(reasons.name(r))) out.add(r);
  return out;
}

export class Collector {
  readonly ring: LiveRing<RingEntry>;
  readonly decoder: RecordDecoder;
  readonly flows: FlowView;
  readonly startedAt = Date.now();
  /** Streams waiting on their clients may hold back decoding, within a budget. */
  readonly backpressure = new DecodeBackpressure();
  private datapath?: DatapathPort;
  private policy?: PolicyRules;
  /** Endpoints whose interface could not be attached, by namespace/name, with the reason. */
  readonly attachErrors = new Map<string, string>();
  /** Events lost since start, by LostSource. */
  readonly lost = new Map<number, number>();
  private readonly rateSamples: { t: number; n: number }[] = [];
  private readonly rateTimer: NodeJS.Timeout;

  constructor(readonly deps: CollectorDeps) {
    this.ring = new LiveRing<RingEntry>(deps.bufferSize);
    // tc drops on an endpoint's veth are our policy drops: kfree_skb reports them as TC_INGRESS/TC_EGRESS.
    const tcDrops = tcDropReasons(deps.dropReasons);
    this.decoder = new RecordDecoder(this.ring, {
      rulesAt: (tsNs) => this.rulesAt(tsNs),
      isPolicyDrop: (reason, ifindex) => tcDrops.has(reason) && deps.registry.byInterface(ifindex) !== undefined,
    });
    const facts = new FlowFactsBuilder({
      nodeName: deps.nodeName,
      registry: deps.registry,
      hostIps: deps.hostIps,
      decoder: this.decoder,
      dropReasons: deps.dropReasons,
      ifname: deps.ifname,
    });
    this.flows = new FlowView(facts, deps.nodeName);
    this.rateTimer = setInterval(() => this.sampleRate(), 5000);
    this.rateTimer.unref();
  }

  /** Attaches the datapath and keeps it in step with the endpoint registry from now on. */
  useDatapath(dp: DatapathPort): void {
    this.datapath = dp;
    const reg = this.deps.registry;
    for (const ep of reg.list()) this.onAdded(ep);
    reg.on("added", (ep) => this.onAdded(ep));
    reg.on("removed", (ep) => this.onRemoved(ep));
    reg.on("updated", (old, ep) => {
      this.onRemoved(old);
      this.onAdded(ep);
    });
  }

  /** Verdict records and L7 events are read against the rule tables of `policy` from now on. */
  usePolicy(policy: PolicyRules): void {
    this.policy = policy;
  }

  /** The rule table in force at `tsNs`: none until a policy engine is in use. */
  rulesAt(tsNs: number): RuleTable {
    return this.policy?.rulesAt(tsNs) ?? RuleTable.EMPTY;
  }

  /** An HTTP request or response the L7 proxy checked: an L7 flow, counted in policy_verdicts_total. */
  pushL7(e: L7HttpEvent): void {
    const tsNs = wallNsToMono(e.time);
    this.ring.push(new L7Event(tsNs, e, this.rulesAt(tsNs)), tsNs);
    this.ring.notify();
    if (e.type === "REQUEST") this.decoder.verdicts.verdict("ingress", "l7/http", e.verdict.toLowerCase());
  }

  countLost(source: number, count: number): void {
    this.lost.set(source, (this.lost.get(source) ?? 0) + count);
  }

  pushLost(e: LostEntry): void {
    this.countLost(e.source, e.count);
    this.ring.push(e, e.tsNs);
    this.ring.notify();
  }

  private onAdded(ep: Endpoint): void {
    const dp = this.datapath;
    if (!dp) return;
    const key = EndpointRegistry.key(ep.namespace, ep.name);
    try {
      dp.attachInterface(ep.ifindex, ep.interface);
      for (const ip of ep.ips) dp.setEndpointIp(ip, ep.id);
      this.attachErrors.delete(key);
      this.deps.log(`endpoint ${key} on ${ep.interface} (ifindex ${ep.ifindex}, identity ${ep.identity}, ${ep.ips.join(" ")})`);
    } catch (e) {
      this.attachErrors.set(key, (e as Error).message);
      this.deps.log(`endpoint ${key}: ${(e as Error).message}`);
    }
  }

  private onRemoved(ep: Endpoint): void {
    const dp = this.datapath;
    if (!dp) return;
    if (this.deps.registry.byInterface(ep.ifindex) === undefined) dp.detachInterface(ep.ifindex);
    for (const ip of ep.ips) if (this.deps.registry.byAddress(ip) === undefined) dp.deleteEndpointIp(ip);
    this.deps.log(`endpoint ${ep.namespace}/${ep.name} removed`);
  }

  flowOf(ev: FlowEntry): Flow {
    return this.flows.object(ev);
  }

  private sampleRate(): void {
    this.rateSamples.push({ t: Date.now(), n: this.ring.written });
    while (this.rateSamples.length > 13) this.rateSamples.shift();
  }

  /** Flows per second over the last minute. */
  flowsRate(): number {
    const s = this.rateSamples;
    if (s.length < 2) return 0;
    const a = s[0];
    const b = s[s.length - 1];
    return ((b.n - a.n) * 1000) / (b.t - a.t);
  }

  observerState(): ObserverState {
    return {
      nodeName: this.deps.nodeName,
      version: this.deps.version,
      address: this.deps.address,
      startedAt: this.startedAt,
      deps: {
        ring: this.ring,
        flowOf: (e) => this.flowOf(e),
        responseOf: (e, withExtensions) => this.flows.response(e, withExtensions),
        nodeName: this.deps.nodeName,
        countLost: (source, n) => this.countLost(source, n),
        waiting: (w) => this.backpressure.streamWaiting(w),
      },
      lost: () => this.lost,
      subscribe: (l) => this.ring.subscribe(l),
      namespaces: () => this.deps.registry.namespaces(),
      flowsRate: () => this.flowsRate(),
    };
  }

  activeFlows(): number {
    return this.datapath?.activeFlows ?? 0;
  }

  datapathErrors(): number {
    return this.datapath?.errors ?? 0;
  }

  /** Lost events by source name, for metrics. */
  lostByName(): Record<string, number> {
    const names: Record<number, string> = {
      [LostSource.KERNEL_RING]: "kernel_ring",
      [LostSource.EVENTS_QUEUE]: "events_queue",
      [LostSource.LIVE_RING]: "live_ring",
      [LostSource.L7_PROXY]: "l7_proxy",
    };
    return Object.fromEntries([...this.lost].map(([s, n]) => [names[s] ?? String(s), n]));
  }

  datapathStats(): DatapathStats | undefined {
    return this.datapath?.stats();
  }

  close(): void {
    clearInterval(this.rateTimer);
    this.datapath?.close();
    this.datapath = undefined;
  }
}
