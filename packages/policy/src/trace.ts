// `flowlens policy trace`: the verdict for one connection from the compiled maps alone, through the
// same lookup the kernel does (egress of the client, ingress of the server) and the L7 proxy's match.

import { IPPROTO_TCP, IPPROTO_UDP } from "./compile.js";
import type { CompiledPolicy, RuleInfo } from "./compiled.js";
import { normalizeRequestTarget } from "./http-target.js";
import { ReservedIdentity } from "./identity.js";
import { matchHttp } from "./l7.js";
import { type Decision, l7PortOf, lookup } from "./lookup.js";

export interface TraceEndpoint {
  identity: number;
  /** For messages, e.g. `default/app1`. */
  name?: string;
}

export interface TraceQuery {
  from: TraceEndpoint;
  to: TraceEndpoint;
  dport: number;
  /** IP protocol number or name; TCP when omitted. */
  proto?: number | "TCP" | "UDP";
  httpMethod?: string;
  httpPath?: string;
}

export interface TraceResult {
  /** `from`'s egress decision toward `to`. */
  egress: Decision;
  /** `to`'s ingress decision from `from`. */
  ingress: Decision;
  /** The proxy's answer, when ingress redirects and a method and path were given. */
  http?: { method: string; path: string; allowed: boolean; ruleId: number; audit?: boolean };
  /** REDIRECTED: allowed at L4 and handed to the L7 proxy, which decides each request (give a method and path). */
  verdict: "FORWARDED" | "DROPPED" | "AUDIT" | "REDIRECTED";
  dropReason?: "POLICY_DENIED" | "POLICY_DENY";
  /** The step whose answer is the verdict; "none" when neither side enforces policy. */
  decidedBy: "egress" | "ingress" | "http" | "none";
  /** The deciding rule (rules[0] for a default deny); undefined when nothing decided or HTTP found no rule. */
  rule?: RuleInfo;
  lines: string[];
}

const MATCH_NAMES = ["none", "L3-Only", "L3-L4", "L4-Only", "all", "L3-Proto", "Proto-Only"];

export function tracePolicy(c: CompiledPolicy, q: TraceQuery): TraceResult {
  const proto = q.proto === undefined || q.proto === "TCP" ? IPPROTO_TCP : q.proto === "UDP" ? IPPROTO_UDP : q.proto;
  const from = name(c, q.from);
  const to = name(c, q.to);
  const lines = [`Tracing From: ${from} => To: ${to} Port: ${q.dport}/${protoName(proto)}`];
  const egress = lookup(c, { subject: q.from.identity, direction: "egress", peer: q.to.identity, proto, port: q.dport });
  const ingress = lookup(c, { subject: q.to.identity, direction: "ingress", peer: q.from.identity, proto, port: q.dport });
  lines.push(step(c, `Egress from ${from}`, egress), step(c, `Ingress to ${to}`, ingress));
  const result: TraceResult = { egress, ingress, verdict: "FORWARDED", decidedBy: "none", lines };
  const audited = egress.verdict === "AUDIT" || ingress.verdict === "AUDIT";

  let deniedCode = 403; // the proxy's answer to a request it denies (400 when it refuses the target)
  const denied = egress.verdict === "DROPPED" ? ["egress", egress] : ingress.verdict === "DROPPED" ? ["ingress", ingress] : undefined;
  if (denied) {
    const [side, d] = denied as ["egress" | "ingress", Decision];
    Object.assign(result, { verdict: "DROPPED", dropReason: d.dropReason, decidedBy: side, rule: c.rules[d.ruleId] });
  } else if (ingress.l7) {
    const l7 = l7PortOf(c, q.to.identity, proto, q.dport);
    if (q.httpMethod === undefined || q.httpPath === undefined) {
      Object.assign(result, { verdict: "REDIRECTED", decidedBy: "ingress", rule: c.rules[ingress.ruleId] });
      lines.push(`HTTP: port ${q.dport} goes to the L7 proxy; pass an HTTP method and path to see the answer to a request`);
    } else {
      // The proxy matches the normalized path (query excluded) and refuses ambiguous targets with 400.
      const target = normalizeRequestTarget(q.httpPath);
      const m = l7 && target.ok ? matchHttp(l7, q.from.identity, q.httpMethod, target.path) : { allowed: false, ruleId: 0 };
      result.http = { method: q.httpMethod, path: q.httpPath, ...m };
      const what = `HTTP ${q.httpMethod} ${q.httpPath}`;
      if (!target.ok) {
        deniedCode = 400;
        Object.assign(result, { verdict: "DROPPED", decidedBy: "http" });
        lines.push(`${what}: refused with 400 Bad Request: ${target.reason}`);
      } else if (m.allowed) {
        Object.assign(result, { verdict: audited ? "AUDIT" : "FORWARDED", decidedBy: "http", rule: c.rules[m.ruleId] });
        lines.push(`${what}: allowed by rule ${m.ruleId}: ${c.rules[m.ruleId]?.description}`);
      } else if (m.audit) {
        Object.assign(result, { verdict: "AUDIT", decidedBy: "http" });
        lines.push(`${what}: no HTTP rule of port ${q.dport} matches for ${from}; audit mode: forwarded, reported as AUDIT`);
      } else {
        Object.assign(result, { verdict: "DROPPED", decidedBy: "http" });
        lines.push(`${what}: denied with 403 Forbidden: no HTTP rule of port ${q.dport} matches for ${from}`);
      }
    }
  } else {
    const last = ingress.enforced ? (["ingress", ingress] as const) : egress.enforced ? (["egress", egress] as const) : undefined;
    const chosen = audited ? [egress, ingress].find((d) => d.verdict === "AUDIT") : last?.[1];
    if (audited) result.dropReason = chosen?.dropReason;
    Object.assign(result, {
      verdict: audited ? "AUDIT" : "FORWARDED",
      decidedBy: audited ? (egress.verdict === "AUDIT" ? "egress" : "ingress") : (last?.[0] ?? "none"),
      rule: chosen ? c.rules[chosen.ruleId] : undefined,
    });
  }
  lines.push(
    `Final verdict: ${result.verdict}${result.decidedBy === "http" && result.verdict === "DROPPED" ? ` (HTTP ${deniedCode})` : ""}`,
  );
  return result;
}

function step(c: CompiledPolicy, what: string, d: Decision): string {
  if (!d.enforced) return `${what}: no policy enforced in this direction: allowed`;
  const rule = c.rules[d.ruleId];
  const by = d.ruleId === 0 ? "" : ` by rule ${d.ruleId} (match ${MATCH_NAMES[d.matchType]}): ${rule?.description ?? "?"}`;
  if (d.verdict === "FORWARDED") return `${what}: allowed${d.l7 ? " and redirected to the L7 proxy" : ""}${by}`;
  const audit = d.verdict === "AUDIT" ? " (audit mode: passes, reported as AUDIT)" : "";
  if (d.dropReason === "POLICY_DENY") return `${what}: denied${audit}${by}`;
  return `${what}: denied${audit}: no rule allows it (default deny, POLICY_DENIED)`;
}

function name(c: CompiledPolicy, e: TraceEndpoint): string {
  const id = `identity ${e.identity}`;
  if (e.name) return `${e.name} (${id})`;
  if (e.identity === ReservedIdentity.HOST) return `reserved:host (${id})`;
  if (e.identity === ReservedIdentity.WORLD) return `reserved:world (${id})`;
  const cidr = c.cidrIdentities.find((x) => x.identity === e.identity);
  return cidr ? `cidr:${cidr.cidr} (${id})` : id;
}

function protoName(p: number): string {
  return p === IPPROTO_TCP ? "TCP" : p === IPPROTO_UDP ? "UDP" : String(p);
}
