// One-line descriptions of rules for RuleInfo, flows and trace output.

import type { Direction, PolicyRef } from "./compiled.js";
import type { PeerRule, Policy, PolicyRule, PortRule } from "./model.js";
import { describeSelector } from "./selector.js";

export function describeRef(ref: PolicyRef): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

/** `ingress allow from {app=app2} to TCP/80 with HTTP GET /public (default/app1-policy ingress[0])`. */
export function describePeerRule(policy: Policy, rule: PolicyRule, dir: Direction, deny: boolean, index: number, r: PeerRule): string {
  const section = `${dir}${deny ? "Deny" : ""}`;
  const where = `${rule.path === "spec" ? "" : `${rule.path}.`}${section}[${index}]`;
  const ports = r.toPorts ? r.toPorts.map(describePortRule).join(", ") : "any port";
  const peers = describePeers(r);
  const text = dir === "ingress" ? `from ${peers} to ${ports}` : `to ${peers} on ${ports}`;
  return `${dir} ${deny ? "deny" : "allow"} ${text} (${describeRef(policy.ref)} ${where})`;
}

/** The allow-all entry a policy adds when it turns its default deny off for a direction. */
export function describeNoDefaultDeny(policy: Policy, rule: PolicyRule, dir: Direction): string {
  return `${dir} allow all: enableDefaultDeny.${dir} is false (${describeRef(policy.ref)} ${rule.path})`;
}

function describePeers(r: PeerRule): string {
  const parts: string[] = [];
  for (const s of r.endpoints ?? []) parts.push(describeSelector(s));
  for (const c of r.cidrs ?? []) parts.push(c.except.length ? `${c.cidr} except ${c.except.join(",")}` : c.cidr);
  for (const e of r.entities ?? []) parts.push(`entity:${e}`);
  return parts.length ? parts.join(" or ") : "any";
}

function describePortRule(pr: PortRule): string {
  const ports = pr.ports
    .map((p) => `${p.protocol}/${p.port === undefined ? "*" : p.endPort === undefined ? p.port : `${p.port}-${p.endPort}`}`)
    .join(",");
  if (!pr.http?.length) return ports;
  return `${ports} with HTTP ${pr.http.map((h) => `${h.method ?? "*"} ${h.path ?? "*"}`).join(" | ")}`;
}
