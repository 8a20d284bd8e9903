// The node's endpoints: lookup by IP and by interface, numeric identities, and change events
// the datapath follows (attach tc, update the kernel's endpoint address map).
import { EventEmitter } from "node:events";
import { canonicalIp } from "../net/ip.js";
import { identityFor, identityLabels } from "./identity.js";
import type { EndpointSpec } from "./spec.js";

export interface Endpoint {
  /** Small per-node number, stable while the endpoint exists (Cilium's endpoint ID). */
  id: number;
  identity: number;
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** "k=v" strings as flows carry them, sorted. */
  labelStrings: string[];
  netns: string;
  interface: string;
  ifindex: number;
  ips: string[];
  cgroup?: string;
}

export interface ResolvedFacts {
  ifindex: number;
  ips: string[];
}

export interface RegistryEvents {
  added: [Endpoint];
  removed: [Endpoint];
  updated: [Endpoint, Endpoint];
}

export class EndpointRegistry extends EventEmitter<RegistryEvents> {
  private readonly byKey = new Map<string, Endpoint>();
  private readonly byIp = new Map<string, Endpoint>();
  private readonly byIfindex = new Map<number, Endpoint>();
  private nextId = 1;

  static key(namespace: string, name: string): string {
    return `${namespace}/${name}`;
  }

  list(): Endpoint[] {
    return [...this.byKey.values()].sort((a, b) => a.id - b.id);
  }
  get(namespace: string, name: string): Endpoint | undefined {
    return this.byKey.get(EndpointRegistry.key(namespace, name));
  }
  byAddress(ip: string): Endpoint | undefined {
    return this.byIp.get(ip);
  }
  byInterface(ifindex: number): Endpoint | undefined {
    return this.byIfindex.get(ifindex);
  }
  namespaces(): string[] {
    return [...new Set(this.list().map((e) => e.namespace))].sort();
  }

  /** Adds or replaces an endpoint whose system facts were already resolved. */
  upsert(spec: EndpointSpec, facts: ResolvedFacts): Endpoint {
    const key = EndpointRegistry.key(spec.namespace, spec.name);
    const old = this.byKey.get(key);
    const ep: Endpoint = {
      id: old?.id ?? this.nextId++,
      identity: identityFor(spec.namespace, spec.labels),
      name: spec.name,
      namespace: spec.namespace,
      labels: { ...spec.labels },
      labelStrings: identityLabels(spec.namespace, spec.labels),
      netns: spec.netns,
      interface: spec.interface,
      ifindex: facts.ifindex,
      ips: facts.ips.map(canonicalIp),
      ...(spec.cgroup ? { cgroup: spec.cgroup } : {}),
    };
    if (old) this.unindex(old);
    this.index(ep);
    if (old) this.emit("updated", old, ep);
    else this.emit("added", ep);
    return ep;
  }

  remove(namespace: string, name: string): Endpoint | undefined {
    const ep = this.byKey.get(EndpointRegistry.key(namespace, name));
    if (!ep) return undefined;
    this.unindex(ep);
    this.emit("removed", ep);
    return ep;
  }

  private index(ep: Endpoint): void {
    this.byKey.set(EndpointRegistry.key(ep.namespace, ep.name), ep);
    for (const ip of ep.ips) this.byIp.set(ip, ep);
    this.byIfindex.set(ep.ifindex, ep);
  }

  private unindex(ep: Endpoint): void {
    this.byKey.delete(EndpointRegistry.key(ep.namespace, ep.name));
    for (const ip of ep.ips) if (this.byIp.get(ip) === ep) this.byIp.delete(ip);
    if (this.byIfindex.get(ep.ifindex) === ep) this.byIfindex.delete(ep.ifindex);
  }
}
