// HTTP requests the L7 proxy checked, as Hubble's L7 flows (Cilium's access-log events, type
// 129): method, url, code, latency and the verdict, between the endpoints the collector knows.
import type { L7HttpEvent } from "@flowlens/l7-contract";
import { MIN_CIDR_IDENTITY, MIN_ENDPOINT_IDENTITY, ReservedIdentity } from "@flowlens/policy";
import { FlowEvent, FlowType, IPVersion, L7FlowType, TrafficDirection, Verdict } from "@flowlens/proto";
import { monoToWallNs } from "../../clock/monotonic.js";
import { DerivedKind, type FlowEntry } from "../../flows/entry.js";
import {
  blankFacts,
  CiliumEvent,
  type EndpointFacts,
  endpointFacts,
  eventOnlyExt,
  type FactsBuilding,
  type FlowFacts,
  HOST,
  WORLD,
} from "../../flows/facts.js";
import type { RuleTable } from "../../flows/rule-table.js";
import { policyLists } from "./verdict-flows.js";

/** The proxy sees no Host it could trust: the URL names the address the client connected to, as Cilium's does. */
function absoluteUrl(e: L7HttpEvent): string {
  const host = e.dstIp.includes(":") ? `[${e.dstIp}]` : e.dstIp;
  const port = e.dstPort === 80 ? "" : `:${e.dstPort}`;
  return `http://${host}${port}${e.url}`;
}

/**
 * The endpoint of `ip` when the proxy saw the request. Requests the proxy buffered while no collector
 * ran predate this registry's history: then the endpoint that has the address now, if it has the
 * identity the proxy saw; else what that identity says.
 */
function l7Endpoint(b: FactsBuilding, ip: string, tsNs: number, identity: number): EndpointFacts {
  const reg = b.ctx.registry;
  const then = reg.byAddressAt(ip, tsNs);
  if (then) return endpointFacts(then);
  const now = reg.byAddress(ip);
  if (now && now.identity === identity) return endpointFacts(now);
  if (identity === ReservedIdentity.HOST || (identity === 0 && b.ctx.hostIps.has(ip))) return HOST;
  if (identity >= MIN_ENDPOINT_IDENTITY && identity < MIN_CIDR_IDENTITY) {
    // Pods with the same labels share the identity: its labels are known, which pod it was is not.
    const same = reg.list().find((ep) => ep.identity === identity);
    return { id: 0, identity, namespace: same?.namespace ?? "", podName: "", labels: same?.labelStrings ?? [] };
  }
  return identity > 0 ? { id: 0, identity, namespace: "", podName: "", labels: WORLD.labels } : b.ctx.hostIps.has(ip) ? HOST : WORLD;
}

export class L7Event implements FlowEntry {
  readonly kind = DerivedKind.L7;
  encoded: unknown = undefined;
  built: unknown = undefined;
  constructor(
    /** CLOCK_MONOTONIC ns when the proxy saw it. */
    readonly tsNs: number,
    readonly rec: L7HttpEvent,
    readonly rules: RuleTable,
  ) {}
}

export function l7Facts(b: FactsBuilding, ev: L7Event): FlowFacts {
  const r = ev.rec;
  const v6 = r.srcIp.includes(":");
  const verdict = r.verdict === "DROPPED" ? Verdict.DROPPED : r.verdict === "AUDIT" ? Verdict.AUDIT : Verdict.FORWARDED;
  const isReply = r.type === "RESPONSE";
  const policies = policyLists(0, verdict, 0, ev.rules.policiesOf(r.ruleId));
  const f = blankFacts(monoToWallNs(ev.tsNs), b.ctx.nodeName);
  f.verdict = verdict;
  f.srcIp = r.srcIp;
  f.dstIp = r.dstIp;
  f.ipVersion = v6 ? IPVersion.IPv6 : IPVersion.IPv4;
  f.l4 = "TCP";
  f.sport = r.srcPort;
  f.dport = r.dstPort;
  f.source = l7Endpoint(b, r.srcIp, ev.tsNs, r.peerIdentity);
  f.destination = l7Endpoint(b, r.dstIp, ev.tsNs, r.subjectIdentity);
  f.type = FlowType.L7;
  f.isReply = isReply;
  f.eventType = CiliumEvent.ACCESS_LOG;
  // L7 rules are ingress rules of the server endpoint.
  f.trafficDirection = TrafficDirection.INGRESS;
  // Hubble's printers build the text from l7.http (summary stays "").
  f.ext = eventOnlyExt(0, "", verdict === Verdict.DROPPED ? [FlowEvent.DROP] : []);
  f.policy = policies;
  f.l7 = {
    type: isReply ? L7FlowType.RESPONSE : L7FlowType.REQUEST,
    latencyNs: r.latencyNs ?? 0,
    http: { code: r.code, method: r.method, url: absoluteUrl(r), protocol: r.protocol },
  };
  return f;
}
