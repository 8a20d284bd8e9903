// What a datapath event says as a flow, in plain values: the one place that decides pod names,
// directions, verdicts and reasons. The wire encoder turns these facts into flow.Flow bytes.
import {
  DropReason,
  FlowEvent,
  FlowType,
  IPVersion,
  type L7FlowType,
  TraceObservationPoint,
  TrafficDirection,
  Verdict,
} from "@flowlens/proto";
import { monoToWallNs } from "../clock/monotonic.js";
import type { RecordDecoder } from "../datapath/decoder.js";
import type { DatapathEvent } from "../datapath/events.js";
import { FlowEventBit, Off, RecordKind, TcDir } from "../datapath/layout.js";
import { ReservedIdentity } from "../endpoints/identity.js";
import type { Endpoint, EndpointRegistry } from "../endpoints/registry.js";
import { addrToString, macToString } from "../net/ip.js";
import { type L7Event, l7Facts } from "../policy/l7-flows.js";
import type { FlowPolicyRef } from "../policy/rule-table.js";
import { type PolicyEvent, policyFacts } from "../policy/verdict-flows.js";
import { tupleKey } from "../process/tuples.js";
import { DerivedKind, type FlowEntry } from "./entry.js";
import type { KernelDropReasons } from "./kernel-drop-reasons.js";
import { icmpSummary, tcpSummary } from "./summary.js";

/** Cilium monitor event types and trace sub-types (Hubble's event_type filter uses them). */
export const CiliumEvent = { DROP: 1, TRACE: 4, POLICY_VERDICT: 5, ACCESS_LOG: 129 } as const;
const TraceSub = { TO_ENDPOINT: 0, FROM_ENDPOINT: 5, FROM_NETWORK: 10, TO_NETWORK: 11 } as const;
const IPPROTO = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;

export interface EndpointFacts {
  id: number;
  identity: number;
  namespace: string;
  podName: string;
  labels: readonly string[];
}

export type L4Kind = "TCP" | "UDP" | "ICMPv4" | "ICMPv6" | "";

export interface ExtensionFacts {
  packets: number;
  bytes: number;
  /** Wall-clock ns, 0 when unknown. */
  firstNs: number;
  lastNs: number;
  rttNs: number;
  retransmits: number;
  pid: number;
  comm: string;
  events: FlowEvent[];
  kernelDropReason: number;
  kernelDropReasonName: string;
  /** TCP flag bits seen in this direction, -1 when not a flow record. */
  tcpFlagsSeen: number;
}

/** Extension of an event that carries no counters (a policy decision, an L7 request). */
export function eventOnlyExt(pid: number, comm: string, events: FlowEvent[]): ExtensionFacts {
  return {
    packets: 0,
    bytes: 0,
    firstNs: 0,
    lastNs: 0,
    rttNs: 0,
    retransmits: 0,
    pid,
    comm,
    events,
    kernelDropReason: 0,
    kernelDropReasonName: "",
    tcpFlagsSeen: -1,
  };
}

/** Policy verdicts: Cilium's policy_match_type and the policies that allowed or denied. */
export interface PolicyFacts {
  matchType: number;
  ingressAllowedBy: readonly FlowPolicyRef[];
  egressAllowedBy: readonly FlowPolicyRef[];
  ingressDeniedBy: readonly FlowPolicyRef[];
  egressDeniedBy: readonly FlowPolicyRef[];
}

/** An HTTP request or response the L7 proxy checked (flow.Layer7). */
export interface L7Facts {
  type: L7FlowType;
  latencyNs: number;
  http: { code: number; method: string; url: string; protocol: string };
}

export interface FlowFacts {
  /** Wall-clock ns. */
  timeNs: number;
  verdict: Verdict;
  dropReason: number;
  dropReasonDesc: DropReason;
  ethSrc: string;
  ethDst: string;
  srcIp: string;
  dstIp: string;
  ipVersion: IPVersion;
  l4: L4Kind;
  /** Ports, or ICMP type (sport) and code (dport). */
  sport: number;
  dport: number;
  tcpFlags: number;
  source: EndpointFacts;
  destination: EndpointFacts;
  type: FlowType;
  nodeName: string;
  /** undefined: not known (kernel drops). */
  isReply: boolean | undefined;
  eventType: number;
  eventSubType: number;
  trafficDirection: TrafficDirection;
  traceObservationPoint: TraceObservationPoint;
  ifindex: number;
  ifname: string;
  cgroupId: number;
  summary: string;
  ext: ExtensionFacts;
  policy?: PolicyFacts;
  l7?: L7Facts;
}

export interface FactsContext {
  nodeName: string;
  registry: EndpointRegistry;
  hostIps: Set<string>;
  decoder: RecordDecoder;
  dropReasons: KernelDropReasons;
  ifname(ifindex: number): string;
}

const NO_EXT: ExtensionFacts = eventOnlyExt(0, "", []);

export const HOST: EndpointFacts = { id: 0, identity: ReservedIdentity.HOST, namespace: "", podName: "", labels: ["reserved:host"] };
export const WORLD: EndpointFacts = { id: 0, identity: ReservedIdentity.WORLD, namespace: "", podName: "", labels: ["reserved:world"] };

export function endpointFacts(ep: Endpoint): EndpointFacts {
  return { id: ep.id, identity: ep.identity, namespace: ep.namespace, podName: ep.name, labels: ep.labelStrings };
}

export function l4Kind(proto: number): L4Kind {
  switch (proto) {
    case IPPROTO.TCP:
      return "TCP";
    case IPPROTO.UDP:
      return "UDP";
    case IPPROTO.ICMP:
      return "ICMPv4";
    case IPPROTO.ICMPV6:
      return "ICMPv6";
    default:
      return "";
  }
}

export function summaryOf(l4: L4Kind, sport: number, dport: number, flagBits: number): string {
  switch (l4) {
    case "TCP":
      return tcpSummary(flagBits);
    case "UDP":
      return "UDP";
    case "ICMPv4":
      return icmpSummary(4, sport, dport);
    case "ICMPv6":
      return icmpSummary(6, sport, dport);
    default:
      return "";
  }
}

function eventList(bits: number): FlowEvent[] {
  const out: FlowEvent[] = [];
  if (bits & FlowEventBit.NEW) out.push(FlowEvent.NEW);
  if (bits & FlowEventBit.TCP_FLAGS) out.push(FlowEvent.TCP_FLAGS);
  if (bits & FlowEventBit.END) out.push(FlowEvent.END);
  if (bits & FlowEventBit.PERIODIC) out.push(FlowEvent.PERIODIC);
  return out;
}

/**
 * A flow with every field present, in one order: the single object literal every builder starts
 * from, so all FlowFacts share one hidden class (spreading a base gave each its own, and cost the
 * serving path ~2.5x the CPU per flow). Builders assign fields; they never add or spread them.
 */
export function blankFacts(timeNs: number, nodeName: string): FlowFacts {
  return {
    timeNs,
    verdict: Verdict.FORWARDED,
    dropReason: 0,
    dropReasonDesc: DropReason.DROP_REASON_UNKNOWN,
    ethSrc: "",
    ethDst: "",
    srcIp: "",
    dstIp: "",
    ipVersion: IPVersion.IP_NOT_USED,
    l4: "",
    sport: 0,
    dport: 0,
    tcpFlags: 0,
    source: WORLD,
    destination: WORLD,
    type: FlowType.L3_L4,
    nodeName,
    isReply: undefined,
    eventType: 0,
    eventSubType: 0,
    trafficDirection: TrafficDirection.TRAFFIC_DIRECTION_UNKNOWN,
    traceObservationPoint: TraceObservationPoint.UNKNOWN_POINT,
    ifindex: 0,
    ifname: "",
    cgroupId: 0,
    summary: "",
    ext: NO_EXT,
    policy: undefined,
    l7: undefined,
  };
}

export class FlowFactsBuilder {
  constructor(readonly ctx: FactsContext) {}

  /**
   * The endpoint that had `ip` when the event happened (flows may be read much later). `local`:
   * the endpoint on whose veth the packet was seen, when `ip` is its own side.
   */
  endpointFor(ip: string, tsNs: number, local: Endpoint | undefined): EndpointFacts {
    // Link-local addresses are not declared, but on the endpoint's own veth they are its own.
    const ep = this.ctx.registry.byAddressAt(ip, tsNs) ?? (local && ip.startsWith("fe80:") ? local : undefined);
    if (ep) return endpointFacts(ep);
    return this.ctx.hostIps.has(ip) ? HOST : WORLD;
  }

  facts(entry: FlowEntry): FlowFacts {
    switch (entry.kind) {
      case RecordKind.DROP:
        return this.drop(entry as DatapathEvent);
      case RecordKind.POLICY:
      case DerivedKind.POLICY_DROP:
        return policyFacts(this, entry as PolicyEvent);
      case DerivedKind.L7:
        return l7Facts(this, entry as L7Event);
      default:
        return this.trace(entry as DatapathEvent);
    }
  }

  /** What kernel records share: addresses, ports, endpoints, process. */
  common(ev: DatapathEvent, flagBits: number, observed: Endpoint | undefined, leaving: boolean) {
    const v = ev.ipVersion;
    const srcIp = addrToString(ev.buf, ev.off + Off.saddr, v);
    const dstIp = addrToString(ev.buf, ev.off + Off.daddr, v);
    const sport = ev.sport;
    const dport = ev.dport;
    const l4 = l4Kind(ev.proto);
    const key = tupleKey(srcIp, sport, dstIp, dport);
    const proc = this.ctx.decoder.processOf(key, srcIp, dstIp, sport, dport);
    const base = blankFacts(monoToWallNs(ev.tsNs), this.ctx.nodeName);
    base.srcIp = srcIp;
    base.dstIp = dstIp;
    base.ipVersion = v === 4 ? IPVersion.IPv4 : IPVersion.IPv6;
    base.l4 = l4;
    base.sport = sport;
    base.dport = dport;
    base.tcpFlags = flagBits;
    base.source = this.endpointFor(srcIp, ev.tsNs, leaving ? observed : undefined);
    base.destination = this.endpointFor(dstIp, ev.tsNs, leaving ? undefined : observed);
    base.cgroupId = proc?.cgroupId ?? 0;
    base.summary = summaryOf(l4, sport, dport, flagBits);
    return { base, key, proc };
  }

  private trace(ev: DatapathEvent): FlowFacts {
    const flagBits = ev.u16(Off.tcpFlags);
    const observed = this.ctx.registry.byInterfaceAt(ev.ifindex, ev.tsNs);
    // tc ingress of an endpoint's host-side veth carries packets leaving the endpoint.
    const leaving = ev.tcDir === TcDir.INGRESS;
    const c = this.common(ev, flagBits, observed, leaving);
    const isReply = ev.u8(Off.isReply) === 1;
    let point: TraceObservationPoint;
    let sub: number;
    if (observed) {
      point = leaving ? TraceObservationPoint.FROM_ENDPOINT : TraceObservationPoint.TO_ENDPOINT;
      sub = leaving ? TraceSub.FROM_ENDPOINT : TraceSub.TO_ENDPOINT;
    } else {
      point = leaving ? TraceObservationPoint.FROM_NETWORK : TraceObservationPoint.TO_NETWORK;
      sub = leaving ? TraceSub.FROM_NETWORK : TraceSub.TO_NETWORK;
    }
    const first = ev.u64(Off.firstNs);
    const last = ev.u64(Off.lastNs);
    const f = c.base;
    f.ethSrc = macToString(ev.buf, ev.off + Off.ethSrc);
    f.ethDst = macToString(ev.buf, ev.off + Off.ethDst);
    f.isReply = isReply;
    f.eventType = CiliumEvent.TRACE;
    f.eventSubType = sub;
    // Direction of the connection relative to the endpoint (Hubble): replies keep the original's.
    // On a host interface tc ingress brings packets into the host: the other way round.
    f.trafficDirection = (observed ? leaving : !leaving) !== isReply ? TrafficDirection.EGRESS : TrafficDirection.INGRESS;
    f.traceObservationPoint = point;
    f.ifindex = ev.ifindex;
    f.ifname = observed?.interface ?? this.ctx.ifname(ev.ifindex);
    f.ext = {
      packets: ev.u64(Off.packets),
      bytes: ev.u64(Off.bytes),
      firstNs: first ? monoToWallNs(first) : 0,
      lastNs: last ? monoToWallNs(last) : 0,
      rttNs: ev.u64(Off.rttNs),
      retransmits: this.ctx.decoder.retransmits.get(c.key) ?? 0,
      pid: c.proc?.pid ?? 0,
      comm: c.proc?.comm ?? "",
      events: eventList(ev.u16(Off.events)),
      kernelDropReason: 0,
      kernelDropReasonName: "",
      tcpFlagsSeen: ev.u16(Off.tcpFlagsSeen),
    };
    return f;
  }

  private drop(ev: DatapathEvent): FlowFacts {
    const flagBits = ev.u16(Off.dropTcpFlags);
    // A drop's skb->dev lives in the endpoint's netns: its ifindex means nothing on the host.
    const c = this.common(ev, flagBits, undefined, false);
    const reason = ev.u32(Off.dropReason);
    const hubble = this.ctx.dropReasons.hubble(reason);
    const name = this.ctx.dropReasons.name(reason);
    // Kernel drops happen on the receiving side: relative to that endpoint it is ingress.
    const toEndpoint = this.ctx.registry.byAddressAt(c.base.dstIp, ev.tsNs) !== undefined;
    const f = c.base;
    f.verdict = Verdict.DROPPED;
    f.dropReason = hubble;
    f.dropReasonDesc = hubble;
    f.isReply = undefined;
    f.eventType = CiliumEvent.DROP;
    f.eventSubType = hubble;
    f.trafficDirection = toEndpoint ? TrafficDirection.INGRESS : TrafficDirection.EGRESS;
    f.summary = `kernel drop: ${name}`;
    f.ext = {
      packets: 1,
      bytes: ev.u32(Off.dropSkbLen),
      firstNs: 0,
      lastNs: 0,
      rttNs: 0,
      retransmits: 0,
      pid: c.proc?.pid ?? 0,
      comm: c.proc?.comm ?? "",
      events: [FlowEvent.DROP],
      kernelDropReason: reason,
      kernelDropReasonName: name,
      tcpFlagsSeen: -1,
    };
    return f;
  }
}
