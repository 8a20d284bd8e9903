// Builds Hubble flow.Flow messages from datapath events, lazily: only when a client reads them.
import { create } from "@bufbuild/protobuf";
import {
  DropReason,
  type Endpoint as EndpointPb,
  EndpointSchema,
  type Flow,
  FlowEvent,
  FlowSchema,
  FlowType,
  IPVersion,
  type Layer4,
  Layer4Schema,
  setFlowExtension,
  type TCPFlags,
  TCPFlagsSchema,
  TraceObservationPoint,
  TrafficDirection,
  Verdict,
} from "@flowlens/proto";
import { monoToWallNs, timestampFromWallNs } from "../clock/monotonic.js";
import type { RecordDecoder } from "../datapath/decoder.js";
import type { DatapathEvent } from "../datapath/events.js";
import { FlowEventBit, Off, RecordKind, TcDir } from "../datapath/layout.js";
import { ReservedIdentity } from "../endpoints/identity.js";
import type { Endpoint, EndpointRegistry } from "../endpoints/registry.js";
import { addrToString, macToString } from "../net/ip.js";
import { tupleKey } from "../process/tuples.js";
import type { KernelDropReasons } from "./kernel-drop-reasons.js";
import { icmpSummary, tcpSummary } from "./summary.js";

/** Cilium monitor event types and trace sub-types (Hubble's event_type filter uses them). */
export const CiliumEvent = { DROP: 1, TRACE: 4 } as const;
const TraceSub = { TO_ENDPOINT: 0, FROM_ENDPOINT: 5, FROM_NETWORK: 10, TO_NETWORK: 11 } as const;

const IPPROTO = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;

export interface BuilderContext {
  nodeName: string;
  registry: EndpointRegistry;
  hostIps: Set<string>;
  decoder: RecordDecoder;
  dropReasons: KernelDropReasons;
  ifname(ifindex: number): string;
}

export function tcpFlagsFromBits(bits: number): TCPFlags {
  return create(TCPFlagsSchema, {
    FIN: (bits & 0x01) !== 0,
    SYN: (bits & 0x02) !== 0,
    RST: (bits & 0x04) !== 0,
    PSH: (bits & 0x08) !== 0,
    ACK: (bits & 0x10) !== 0,
    URG: (bits & 0x20) !== 0,
    ECE: (bits & 0x40) !== 0,
    CWR: (bits & 0x80) !== 0,
  });
}

export class FlowBuilder {
  constructor(private readonly ctx: BuilderContext) {}

  /** The event's Flow, built once and cached on the event. */
  flow(ev: DatapathEvent): Flow {
    if (ev.built === undefined) ev.built = ev.kind === RecordKind.DROP ? this.drop(ev) : this.trace(ev);
    return ev.built as Flow;
  }

  /** `local` is the endpoint on whose interface the packet was seen, if `ip` is its own side. */
  private endpointFor(ip: string, local?: Endpoint): { pb: EndpointPb; ep?: Endpoint } {
    // Link-local addresses are not declared, but on the endpoint's own veth they are its own.
    const ep = this.ctx.registry.byAddress(ip) ?? (local && ip.startsWith("fe80:") ? local : undefined);
    if (ep)
      return {
        ep,
        pb: create(EndpointSchema, {
          ID: ep.id,
          identity: ep.identity,
          namespace: ep.namespace,
          podName: ep.name,
          labels: ep.labelStrings,
        }),
      };
    if (this.ctx.hostIps.has(ip)) return { pb: create(EndpointSchema, { identity: ReservedIdentity.HOST, labels: ["reserved:host"] }) };
    return { pb: create(EndpointSchema, { identity: ReservedIdentity.WORLD, labels: ["reserved:world"] }) };
  }

  private l4(ev: DatapathEvent, flagBits: number): Layer4 | undefined {
    const sport = ev.sport;
    const dport = ev.dport;
    switch (ev.proto) {
      case IPPROTO.TCP:
        return create(Layer4Schema, {
          protocol: { case: "TCP", value: { sourcePort: sport, destinationPort: dport, flags: tcpFlagsFromBits(flagBits) } },
        });
      case IPPROTO.UDP:
        return create(Layer4Schema, { protocol: { case: "UDP", value: { sourcePort: sport, destinationPort: dport } } });
      case IPPROTO.ICMP:
        return create(Layer4Schema, { protocol: { case: "ICMPv4", value: { type: sport, code: dport } } });
      case IPPROTO.ICMPV6:
        return create(Layer4Schema, { protocol: { case: "ICMPv6", value: { type: sport, code: dport } } });
      default:
        return undefined;
    }
  }

  private base(ev: DatapathEvent, flagBits: number, withInterface = true) {
    const v = ev.ipVersion;
    const src = addrToString(ev.buf, ev.off + Off.saddr, v);
    const dst = addrToString(ev.buf, ev.off + Off.daddr, v);
    const observed = withInterface ? this.ctx.registry.byInterface(ev.ifindex) : undefined;
    const leaving = ev.tcDir === TcDir.INGRESS;
    const s = this.endpointFor(src, leaving ? observed : undefined);
    const d = this.endpointFor(dst, leaving ? undefined : observed);
    const ifindex = ev.ifindex;
    const flow = create(FlowSchema, {
      time: timestampFromWallNs(monoToWallNs(ev.tsNs)),
      uuid: crypto.randomUUID(),
      nodeName: this.ctx.nodeName,
      IP: { source: src, destination: dst, ipVersion: v === 4 ? IPVersion.IPv4 : IPVersion.IPv6 },
      l4: this.l4(ev, flagBits),
      source: s.pb,
      destination: d.pb,
      Type: FlowType.L3_L4,
      ...(ifindex && withInterface ? { interface: { index: ifindex, name: this.ctx.ifname(ifindex) } } : {}),
    });
    const key = tupleKey(src, ev.sport, dst, ev.dport);
    return { flow, src: s, dst: d, key };
  }

  private trace(ev: DatapathEvent): Flow {
    const flagBits = ev.u16(Off.tcpFlags);
    const { flow, src, dst, key } = this.base(ev, flagBits);
    const isReply = ev.u8(Off.isReply) === 1;
    const observed = this.ctx.registry.byInterface(ev.ifindex);
    // tc ingress of an endpoint's host-side veth carries packets leaving the endpoint.
    const leaving = ev.tcDir === TcDir.INGRESS;
    let point: TraceObservationPoint;
    let sub: number;
    if (observed) {
      point = leaving ? TraceObservationPoint.FROM_ENDPOINT : TraceObservationPoint.TO_ENDPOINT;
      sub = leaving ? TraceSub.FROM_ENDPOINT : TraceSub.TO_ENDPOINT;
    } else {
      point = leaving ? TraceObservationPoint.FROM_NETWORK : TraceObservationPoint.TO_NETWORK;
      sub = leaving ? TraceSub.FROM_NETWORK : TraceSub.TO_NETWORK;
    }
    // Direction of the connection relative to the endpoint (Hubble): replies keep the original's.
    const outbound = leaving !== isReply;
    flow.trafficDirection = outbound ? TrafficDirection.EGRESS : TrafficDirection.INGRESS;
    flow.verdict = Verdict.FORWARDED;
    flow.isReply = isReply;
    flow.reply = isReply;
    flow.traceObservationPoint = point;
    flow.eventType = { $typeName: "flow.CiliumEventType", type: CiliumEvent.TRACE, subType: sub };
    flow.ethernet = {
      $typeName: "flow.Ethernet",
      source: macToString(ev.buf, ev.off + Off.ethSrc),
      destination: macToString(ev.buf, ev.off + Off.ethDst),
    };
    const proc = this.ctx.decoder.processOf(key, flow.IP?.source ?? "", flow.IP?.destination ?? "", ev.sport, ev.dport);
    if (proc) flow.cgroupId = BigInt(proc.cgroupId);
    flow.Summary = summaryOf(ev, flagBits);
    const events = ev.u16(Off.events);
    const first = ev.u64(Off.firstNs);
    const last = ev.u64(Off.lastNs);
    setFlowExtension(flow, {
      packets: BigInt(ev.u64(Off.packets)),
      bytes: BigInt(ev.u64(Off.bytes)),
      firstSeen: timestampFromWallNs(monoToWallNs(first)),
      lastSeen: timestampFromWallNs(monoToWallNs(last)),
      handshakeRttNs: BigInt(ev.u64(Off.rttNs)),
      retransmits: this.ctx.decoder.retransmits.get(key) ?? 0,
      pid: proc?.pid ?? 0,
      comm: proc?.comm ?? "",
      flowEvents: eventList(events),
      tcpFlagsSeen: tcpFlagsFromBits(ev.u16(Off.tcpFlagsSeen)),
    });
    void src;
    void dst;
    return flow;
  }

  private drop(ev: DatapathEvent): Flow {
    const flagBits = ev.u16(Off.dropTcpFlags);
    // A drop's skb->dev lives in the endpoint's netns: its ifindex means nothing on the host.
    const { flow, key } = this.base(ev, flagBits, false);
    const reason = ev.u32(Off.dropReason);
    const hubble = this.ctx.dropReasons.hubble(reason);
    flow.verdict = Verdict.DROPPED;
    flow.dropReasonDesc = hubble;
    flow.dropReason = hubble === DropReason.DROP_REASON_UNKNOWN ? 0 : hubble;
    flow.eventType = { $typeName: "flow.CiliumEventType", type: CiliumEvent.DROP, subType: hubble };
    const name = this.ctx.dropReasons.name(reason);
    flow.Summary = `kernel drop: ${name}`;
    // Kernel drops happen on the receiving side: relative to that endpoint it is ingress.
    const observedDst = this.ctx.registry.byAddress(flow.IP?.destination ?? "");
    flow.trafficDirection = observedDst ? TrafficDirection.INGRESS : TrafficDirection.EGRESS;
    const proc = this.ctx.decoder.processOf(key, flow.IP?.source ?? "", flow.IP?.destination ?? "", ev.sport, ev.dport);
    setFlowExtension(flow, {
      packets: 1n,
      bytes: BigInt(ev.u32(Off.dropSkbLen)),
      kernelDropReason: reason,
      kernelDropReasonName: name,
      flowEvents: [FlowEvent.DROP],
      pid: proc?.pid ?? 0,
      comm: proc?.comm ?? "",
    });
    return flow;
  }
}

function summaryOf(ev: DatapathEvent, flagBits: number): string {
  switch (ev.proto) {
    case IPPROTO.TCP:
      return flagBits ? tcpSummary(flagBits) : "TCP";
    case IPPROTO.UDP:
      return "UDP";
    case IPPROTO.ICMP:
      return icmpSummary(4, ev.sport, ev.dport);
    case IPPROTO.ICMPV6:
      return icmpSummary(6, ev.sport, ev.dport);
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
