// The L7 proxy's configuration from a compilation and the node's endpoints: every endpoint whose
// identity has L7 ports, with those ports (audit mode included) and its netns file, and the rules they name.
import { join } from "node:path";
import type { L7ProxyConfig } from "@flowlens/l7-contract";
import type { CompiledPolicy, L7Port, RuleInfo } from "@flowlens/policy";
import { netnsPath } from "../../endpoints/netns.js";

/** What the supervisor needs of an endpoint (the registry's Endpoint has it). */
export interface L7EndpointInput {
  id: number;
  identity: number;
  name: string;
  namespace: string;
  /** A name under /var/run/netns or an absolute path. */
  netns: string;
  ips: readonly string[];
}

export function buildL7Config(
  compiled: Pick<CompiledPolicy, "l7" | "rules">,
  endpoints: readonly L7EndpointInput[],
  where: { pinPath: string; eventsSocket: string },
): L7ProxyConfig {
  const ports = new Map<number, L7Port[]>();
  for (const p of compiled.l7) {
    const list = ports.get(p.subject) ?? [];
    list.push(p);
    ports.set(p.subject, list);
  }
  const used = new Set<number>();
  const l7Endpoints = endpoints
    .filter((ep) => ports.has(ep.identity))
    .sort((a, b) => a.id - b.id)
    .map((ep) => {
      const mine = ports.get(ep.identity) ?? [];
      for (const p of mine) for (const r of p.rules) used.add(r.ruleId);
      return {
        endpointId: ep.id,
        name: `${ep.namespace}/${ep.name}`,
        netns: netnsPath(ep.netns),
        identity: ep.identity,
        ips: [...ep.ips],
        ports: mine,
      };
    });
  const rules: RuleInfo[] = compiled.rules.filter((r) => used.has(r.ruleId));
  return {
    version: 1,
    maps: { l7Socks: join(where.pinPath, "fl_l7_socks"), ipcache: join(where.pinPath, "fl_ipcache") },
    eventsSocket: where.eventsSocket,
    endpoints: l7Endpoints,
    rules,
  };
}

/**
 * What the proxy serves while the maps change from `prev` to `next`: next's endpoints and ports, plus
 * prev's ports (and endpoints) that next drops, since the maps may redirect them until they are written.
 */
export function mergeL7Configs(prev: L7ProxyConfig, next: L7ProxyConfig): L7ProxyConfig {
  const nextIds = new Set(next.endpoints.map((e) => e.endpointId));
  const endpoints = next.endpoints.map((ep) => {
    const old = prev.endpoints.find((p) => p.endpointId === ep.endpointId && p.netns === ep.netns);
    const kept = old?.ports.filter((o) => !ep.ports.some((n) => n.port === o.port && n.proto === o.proto)) ?? [];
    return kept.length ? { ...ep, ports: [...ep.ports, ...kept] } : ep;
  });
  for (const ep of prev.endpoints) if (!nextIds.has(ep.endpointId)) endpoints.push(ep);
  endpoints.sort((a, b) => a.endpointId - b.endpointId);
  const ruleIds = new Set(next.rules.map((r) => r.ruleId));
  return { ...next, endpoints, rules: [...next.rules, ...prev.rules.filter((r) => !ruleIds.has(r.ruleId))] };
}
