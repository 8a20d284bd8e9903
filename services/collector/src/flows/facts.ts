// What a datapath event says as a flow, in plain values (FlowFacts) and the helpers every flow
// builder shares; FlowFactsBuilder (facts-builder.ts) fills them. The wire encoder turns these facts
// into flow.Flow bytes.
import {
  DropReason,
  type FlowEvent,
  FlowType,
  IPVersion,
  type L7FlowType,
  TraceObservationPoint,
  TrafficDirection,
  Verdict,
} from "@flowlens/proto";
import type { RecordDecoder } from "../datapath/decoder.js";
import type { DatapathEvent } from "../datapath/events.js";
import { ReservedIdentity } from "../endpoints/identity.js";
import type { Endpoint, EndpointRegistry } from "../endpoints/registry.js";
import type { ProcessInfo } from "../process/tuples.js";
import type { KernelDropReasons } from "./kernel-drop-reasons.js";
import type { FlowPolicyRef } from "./rule-table.js";
import { icmpSummary, tcpSummary } from "./summary.js";

/** Cilium monitor event types and trace sub-types (Hubble's event_type filter uses them). */
export const CiliumEvent = { DROP: 1, TRACE: 4, POLICY_VERDICT: 5, ACCESS_LOG: 129 } as const;
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

/** The fields every kernel record's flow shares (addresses, ports, endpoints), and its process. */
export interface CommonFacts {
  base: FlowFacts;
  key: string;
  proc: ProcessInfo | undefined;
}

/**
 * What the builders of one record kind (verdict flows, L7 flows) use of FlowFactsBuilder: its
 * context and the part all kernel records share. An interface, so they need not import the
 * builder that dispatches to them.
 */
export interface FactsBuilding {
  readonly ctx: FactsContext;
  common(ev: DatapathEvent, flagBits: number, observed: Endpoint | undefined, leaving: boolean): CommonFacts;
}
