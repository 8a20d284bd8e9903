// The L7 proxy's ports: the HTTP rules per (subject, port), plus an "allow every request" rule for
// each L4 allow that covers the port, since the kernel redirects a port as a whole.
import type { L7Collected, Merged, Origin } from "./compile-model.js";
import type { RuleIds } from "./compile-rule-ids.js";
import type { L7Port, PolicyEntry } from "./compiled.js";
import { ReservedIdentity } from "./identity.js";
import { IPPROTO_TCP, portMask } from "./ports.js";
import { getOrAdd } from "./util.js";

/**
 * HTTP rules per (subject, port). Every allow entry that also covers TCP/port for some peers adds
 * an "allow every request" rule for them: the kernel redirects the port as a whole, so the proxy
 * must honour the L4-only allows too.
 */
export function l7Ports(
  l7Rules: Map<string, L7Collected>,
  entries: PolicyEntry[],
  merged: Merged[],
  ids: RuleIds,
  origins: Origin[],
): L7Port[] {
  const out: L7Port[] = [];
  if (l7Rules.size === 0) return out;
  // The plain ingress allows by subject, in entry order.
  const plainBySubject = new Map<number, PolicyEntry[]>();
  entries.forEach((e, i) => {
    if (e.direction === "ingress" && e.action === "allow" && merged[i].plain) getOrAdd(plainBySubject, e.subject, () => []).push(e);
  });
  for (const l of l7Rules.values()) {
    const rules: L7Port["rules"] = l.rules.map((r) => ({ peers: r.peers, http: r.http, ruleId: ids.of(r.rule) }));
    const plain = new Map<number, Set<number>>(); // ruleId → peers
    for (const e of plainBySubject.get(l.subject) ?? []) {
      if (e.proto !== 0 && (e.proto !== IPPROTO_TCP || (l.port & portMask(e.portPrefixLen)) !== e.port)) continue;
      getOrAdd(plain, e.ruleId, () => new Set<number>()).add(e.peer);
    }
    for (const [ruleId, peers] of plain) {
      rules.push({ peers: peers.has(ReservedIdentity.ANY) ? "any" : [...peers].sort((a, b) => a - b), http: [], ruleId });
    }
    rules.sort((a, b) => a.ruleId - b.ruleId || b.http.length - a.http.length);
    const audit = l.rules.every((r) => origins[r.origin].audit);
    out.push({ subject: l.subject, port: l.port, proto: IPPROTO_TCP, rules, ...(audit && { audit }) });
  }
  return out.sort((a, b) => a.subject - b.subject || a.port - b.port);
}
