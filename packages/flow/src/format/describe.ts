// Human-readable pieces of a flow as Hubble prints them: endpoints, identities, type, verdict and summary.
import { AuthType, DropReason, type Flow, getFlowExtension, TrafficDirection, Verdict } from "@flowlens/proto";
import { icmpSummary, reservedIdentityName, TRACE_POINTS, tcpFlagsSummary } from "../cilium-names.js";
import { MessageType } from "../filters/event-type.js";
import { destinationPort, sourcePort } from "../filters/flow-fields.js";

/** Cilium's wording for common drop reasons; others fall back to the enum name. */
const DROP_REASON_TEXT: Partial<Record<DropReason, string>> = {
  [DropReason.INVALID_SOURCE_MAC]: "Invalid source mac",
  [DropReason.INVALID_DESTINATION_MAC]: "Invalid destination mac",
  [DropReason.INVALID_SOURCE_IP]: "Invalid source ip",
  [DropReason.POLICY_DENIED]: "Policy denied",
  [DropReason.INVALID_PACKET_DROPPED]: "Invalid packet",
  [DropReason.CT_TRUNCATED_OR_INVALID_HEADER]: "CT: Truncated or invalid header",
  [DropReason.CT_MISSING_TCP_ACK_FLAG]: "CT: Missing TCP ACK flag",
  [DropReason.CT_UNKNOWN_L4_PROTOCOL]: "CT: Unknown L4 protocol",
  [DropReason.UNSUPPORTED_L3_PROTOCOL]: "Unsupported L3 protocol",
  [DropReason.MISSED_TAIL_CALL]: "Missed tail call",
  [DropReason.UNKNOWN_L4_PROTOCOL]: "Unknown L4 protocol",
  [DropReason.STALE_OR_UNROUTABLE_IP]: "Stale or unroutable IP",
  [DropReason.SERVICE_BACKEND_NOT_FOUND]: "Service backend not found",
  [DropReason.FIB_LOOKUP_FAILED]: "FIB lookup failed",
  [DropReason.POLICY_DENY]: "Policy denied by denylist",
  [DropReason.AUTH_REQUIRED]: "Authentication required",
  [DropReason.TTL_EXCEEDED]: "TTL exceeded",
  [DropReason.SOCKET_LOOKUP_FAILED]: "Socket lookup failed",
  [DropReason.UNKNOWN_CONNECTION_TRACKING_STATE]: "Unknown connection tracking state",
  [DropReason.INVALID_IPV6_EXTENSION_HEADER]: "Invalid IPv6 extension header",
};

const POLICY_MATCH = ["none", "L3-Only", "L3-L4", "L4-Only", "all", "L3-Proto", "Proto-Only"];

export function dropReasonText(reason: number): string {
  return DROP_REASON_TEXT[reason as DropReason] ?? DropReason[reason] ?? String(reason);
}

export function identityText(id: number | undefined): string {
  const n = id ?? 0;
  const reserved = reservedIdentityName(n);
  return reserved ? `(${reserved})` : `(ID:${n})`;
}

function hostPort(host: string, port: number | undefined): string {
  if (port === undefined || port === 0) return host;
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** "namespace/pod:port", or service, or DNS names, or the IP; MAC addresses when there is no IP layer. */
export function endpointNames(flow: Flow, ipTranslation = true): { src: string; dst: string } {
  if (!flow.IP) {
    return { src: flow.ethernet?.source ?? "", dst: flow.ethernet?.destination ?? "" };
  }
  const side = (ip: string, port: number | undefined, ns: string, pod: string, svc: string, names: string[]) => {
    let host = ip;
    if (ipTranslation) {
      if (pod) host = ns ? `${ns}/${pod}` : pod;
      else if (svc) host = ns ? `${ns}/${svc}` : svc;
      else if (names.length) host = names.join(",");
    }
    return hostPort(host, port);
  };
  const srcSvc = flow.sourceService;
  const dstSvc = flow.destinationService;
  return {
    src: side(
      flow.IP.source,
      sourcePort(flow),
      srcSvc?.namespace || flow.source?.namespace || "",
      flow.source?.podName ?? "",
      srcSvc?.name ?? "",
      flow.sourceNames,
    ),
    dst: side(
      flow.IP.destination,
      destinationPort(flow),
      dstSvc?.namespace || flow.destination?.namespace || "",
      flow.destination?.podName ?? "",
      dstSvc?.name ?? "",
      flow.destinationNames,
    ),
  };
}

/** Hubble's TYPE column: "to-endpoint", "Policy denied", "policy-verdict:L3-L4 INGRESS", "http-request", … */
export function flowType(flow: Flow): string {
  const l7 = flow.l7;
  if (l7) {
    let l7Type = ["unknown_l7_type", "request", "response", "sample"][l7.type] ?? "unknown_l7_type";
    let proto = "l7";
    if (l7.record.case === "http") proto = "http";
    else if (l7.record.case === "kafka") proto = "kafka";
    else if (l7.record.case === "dns") {
      proto = "dns";
      l7Type += ` ${l7.record.value.observationSource}`;
    }
    return `${proto}-${l7Type}`;
  }
  const ev = flow.eventType;
  switch (ev?.type) {
    case MessageType.TRACE:
      return TRACE_POINTS[ev.subType] ?? String(ev.subType);
    case MessageType.DROP:
      return dropReasonText(ev.subType);
    case MessageType.POLICY_VERDICT:
      return `policy-verdict:${POLICY_MATCH[flow.policyMatchType] ?? "unknown"} ${TrafficDirection[flow.trafficDirection]}`;
    default:
      return "UNKNOWN";
  }
}

/** Verdict as Hubble words it; policy-verdict events say ALLOWED/DENIED/AUDITED. */
export function verdictText(flow: Flow): string {
  const isPolicy = flow.eventType?.type === MessageType.POLICY_VERDICT;
  switch (flow.verdict) {
    case Verdict.FORWARDED:
    case Verdict.REDIRECTED:
      return isPolicy ? "ALLOWED" : Verdict[flow.verdict];
    case Verdict.DROPPED:
    case Verdict.ERROR:
      return isPolicy ? "DENIED" : Verdict[flow.verdict];
    case Verdict.AUDIT:
      return isPolicy ? "AUDITED" : "AUDIT";
    default:
      return Verdict[flow.verdict] ?? String(flow.verdict);
  }
}

/** The SUMMARY text: the flow's own Summary when set, else one built from L4/L7 like Hubble's parser does. */
export function flowSummary(flow: Flow): string {
  let summary = flow.Summary;
  if (!summary) {
    const l7 = flow.l7?.record;
    const l4 = flow.l4?.protocol;
    if (l7?.case === "http") {
      const h = l7.value;
      summary = h.code ? `${h.protocol} ${h.code} ${h.method} ${h.url}`.trim() : `${h.protocol} ${h.method} ${h.url}`.trim();
    } else if (l7?.case === "dns") {
      const d = l7.value;
      const kind = flow.l7?.type === 2 ? "Answer" : "Query";
      summary = `DNS ${kind} ${d.query} ${d.qtypes.join(",")}`.trim();
    } else if (l4?.case === "TCP") {
      const f = l4.value.flags;
      summary = tcpFlagsSummary((n) => f?.[n] === true);
    } else if (l4?.case === "UDP") {
      summary = "UDP";
    } else if (l4?.case === "SCTP") {
      summary = "SCTP";
    } else if (l4?.case === "ICMPv4") {
      summary = icmpSummary(4, l4.value.type, l4.value.code);
    } else if (l4?.case === "ICMPv6") {
      summary = icmpSummary(6, l4.value.type, l4.value.code);
    }
  }
  if (flow.authType !== AuthType.DISABLED) summary = `${summary}; Auth: ${AuthType[flow.authType]}`;
  return summary;
}

/** "ns/name" list of policies, for --print-policy-names. */
export function policyNames(flow: Flow): {
  ingressAllowed: string[];
  egressAllowed: string[];
  ingressDenied: string[];
  egressDenied: string[];
} {
  const names = (ps: Flow["egressAllowedBy"]) => ps.map((p) => (p.namespace ? `${p.namespace}/${p.name}` : p.name));
  return {
    ingressAllowed: names(flow.ingressAllowedBy),
    egressAllowed: names(flow.egressAllowedBy),
    ingressDenied: names(flow.ingressDeniedBy),
    egressDenied: names(flow.egressDeniedBy),
  };
}

function durationText(ns: bigint): string {
  if (ns >= 1_000_000_000n) return `${(Number(ns) / 1e9).toFixed(2)}s`;
  if (ns >= 1_000_000n) return `${(Number(ns) / 1e6).toFixed(2)}ms`;
  return `${(Number(ns) / 1e3).toFixed(0)}µs`;
}

/** Flowlens extension data in one short string ("pkts=3 bytes=180 rtt=42µs retrans=1 pid=777 comm=curl"); "" when absent. */
export function extensionText(flow: Flow): string {
  const ext = getFlowExtension(flow);
  if (!ext) return "";
  const parts = [`pkts=${ext.packets}`, `bytes=${ext.bytes}`];
  if (ext.handshakeRttNs > 0n) parts.push(`rtt=${durationText(ext.handshakeRttNs)}`);
  if (ext.retransmits > 0) parts.push(`retrans=${ext.retransmits}`);
  if (ext.pid > 0) parts.push(`pid=${ext.pid}`);
  if (ext.comm) parts.push(`comm=${ext.comm}`);
  if (ext.kernelDropReasonName) parts.push(`kdrop=${ext.kernelDropReasonName}`);
  return parts.join(" ");
}
