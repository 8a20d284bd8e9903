// FlowFactsBuilder: the one place that turns a ring entry into FlowFacts, dispatching on its
// kind: trace and kernel-drop records here, policy verdicts and L7 requests to their own builders.
import { FlowEvent, IPVersion, TraceObservationPoint, TrafficDirection, Verdict } from "@flowlens/proto";
import { monoToWallNs } from "../clock/monotonic.js";
import type { DatapathEvent, PolicyEvent } from "../datapath/events.js";
import { FlowEventBit, Off, RecordKind, TcDir } from "../datapath/layout.js";
import type { Endpoint } from "../endpoints/registry.js";
import { addrToString, macToString } from "../net/ip.js";
import { type L7Event, l7Facts } from "../policy/verdict-flows/l7-flows.js";
import { policyFacts } from "../policy/verdict-flows/verdict-flows.js";
import { tupleKey } from "../process/tuples.js";
import { DerivedKind, type FlowEntry } from "./entry.js";
import {
  blankFacts,
  CiliumEvent,
  type CommonFacts,
  type EndpointFacts,
  endpointFacts,
  type FactsBuilding,
  type FactsContext,
  type FlowFacts,
  HOST,
  l4Kind,
  summaryOf,
  WORLD,
} from "./facts.js";

const TraceSub = { TO_ENDPOINT: 0, FROM_ENDPOINT: 5, FROM_NETWORK: 10, TO_NETWORK: 11 } as const;

function eventList(bits: number): FlowEvent[] {
  const out: FlowEvent[] = [];
  if (bits & FlowEventBit.NEW) out.push(FlowEvent.NEW);
  if (bits & FlowEventBit.TCP_FLAGS) out.push(FlowEvent.TCP_FLAGS);
  if (bits & FlowEventBit.END) out.push(FlowEvent.END);
  if (bits & FlowEventBit.PERIODIC) out.push(FlowEvent.PERIODIC);
  return out;
}

export class FlowFactsBuilder implements FactsBuilding {
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
  common(ev: DatapathEvent, flagBits: number, observed: Endpoint | undefined, leaving: boolean): CommonFacts {
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
