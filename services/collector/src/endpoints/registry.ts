// The node's endpoints: lookup by IP and by interface — now or at a past moment, so flows read
// later still name the endpoint as it was — numeric identities, and change events the datapath
// follows (attach tc, update the kernel's endpoint address map).
import { EventEmitter } from "node:events";
import { monoNowNs } from "../clock/monotonic.js";
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
  /** The declaration it came from (re-resolved when the system changes). */
  spec: EndpointSpec;
  /** CLOCK_MONOTONIC ns since which this version of the endpoint is in force. */
  sinceNs: number;
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

export class EndpointConflictError extends Error {}

interface PastVersion {
  ep: Endpoint;
  untilNs: number;
}

/** How many replaced or removed versions are remembered (flows are read within minutes). */
const HISTORY_LIMIT = 4096;

export class EndpointRegistry extends EventEmitter<RegistryEvents> {
  private readonly byKey = new Map<string, Endpoint>();
  private readonly byIp = new Map<string, Endpoint>();
  private readonly byIfindex = new Map<number, Endpoint>();
  private readonly byIdMap = new Map<number, Endpoint>();
  private readonly past: PastVersion[] = [];
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

  /** The endpoint that had `ip` at monotonic time `tsNs`. */
  byAddressAt(ip: string, tsNs: number): Endpoint | undefined {
    const cur = this.byIp.get(ip);
    if (cur && cur.sinceNs <= tsNs) return cur;
    return this.pastMatch(tsNs, (ep) => ep.ips.includes(ip));
  }

  /** The endpoint whose interface had `ifindex` at monotonic time `tsNs`. */
  byInterfaceAt(ifindex: number, tsNs: number): Endpoint | undefined {
    const cur = this.byIfindex.get(ifindex);
    if (cur && cur.sinceNs <= tsNs) return cur;
    return this.pastMatch(tsNs, (ep) => ep.ifindex === ifindex);
  }

  /** The endpoint with local id `id` at monotonic time `tsNs` (policy records name their subject by id). */
  byIdAt(id: number, tsNs: number): Endpoint | undefined {
    const cur = this.byIdMap.get(id);
    if (cur && cur.sinceNs <= tsNs) return cur;
    return this.pastMatch(tsNs, (ep) => ep.id === id);
  }

  private pastMatch(tsNs: number, pred: (ep: Endpoint) => boolean): Endpoint | undefined {
    for (let i = this.past.length - 1; i >= 0; i--) {
      const p = this.past[i];
      if (p.untilNs > tsNs && p.ep.sinceNs <= tsNs && pred(p.ep)) return p.ep;
    }
    return undefined;
  }

  /**
   * Adds or replaces an endpoint whose system facts were already resolved. An interface or
   * address that belongs to another endpoint is a conflict: nothing changes.
   */
  upsert(spec: EndpointSpec, facts: ResolvedFacts): Endpoint {
    const key = EndpointRegistry.key(spec.namespace, spec.name);
    const old = this.byKey.get(key);
    const ips = facts.ips.map(canonicalIp);
    const ifOwner = this.byIfindex.get(facts.ifindex);
    if (ifOwner && ifOwner !== old)
      throw new EndpointConflictError(`interface ${spec.interface} already belongs to endpoint ${ifOwner.namespace}/${ifOwner.name}`);
    for (const ip of ips) {
      const owner = this.byIp.get(ip);
      if (owner && owner !== old)
        throw new EndpointConflictError(`address ${ip} already belongs to endpoint ${owner.namespace}/${owner.name}`);
    }
    if (old && sameFacts(old, spec, facts.ifindex, ips)) return old;
    const identity = identityFor(spec.namespace, spec.labels);
    const labelStrings = identityLabels(spec.namespace, spec.labels);
    this.checkIdentity(key, identity, labelStrings, old);
    const ep: Endpoint = {
      id: old?.id ?? this.nextId++,
      identity,
      name: spec.name,
      namespace: spec.namespace,
      labels: { ...spec.labels },
      labelStrings,
      netns: spec.netns,
      interface: spec.interface,
      ifindex: facts.ifindex,
      ips,
      ...(spec.cgroup ? { cgroup: spec.cgroup } : {}),
      spec,
      sinceNs: monoNowNs(),
    };
    if (old) this.retire(old, ep.sinceNs);
    this.index(ep);
    if (old) this.emit("updated", old, ep);
    else this.emit("added", ep);
    return ep;
  }

  /**
   * Identities are hashes of label sets: two different sets may (rarely) get the same number, and
   * policy would then treat them as one. Such a label set is refused, naming both.
   */
  private checkIdentity(key: string, identity: number, labelStrings: string[], old: Endpoint | undefined): void {
    const mine = labelStrings.join(",");
    for (const other of this.byKey.values()) {
      if (other === old || other.identity !== identity || other.labelStrings.join(",") === mine) continue;
      throw new EndpointConflictError(
        `labels {${mine}} of ${key} get identity ${identity}, which endpoint ${other.namespace}/${other.name} with different labels {${other.labelStrings.join(",")}} already has: add or change a label of either`,
      );
    }
  }

  remove(namespace: string, name: string): Endpoint | undefined {
    const ep = this.byKey.get(EndpointRegistry.key(namespace, name));
    if (!ep) return undefined;
    this.retire(ep, monoNowNs());
    this.emit("removed", ep);
    return ep;
  }

  private index(ep: Endpoint): void {
    this.byKey.set(EndpointRegistry.key(ep.namespace, ep.name), ep);
    for (const ip of ep.ips) this.byIp.set(ip, ep);
    this.byIfindex.set(ep.ifindex, ep);
    this.byIdMap.set(ep.id, ep);
  }

  private retire(ep: Endpoint, untilNs: number): void {
    this.byKey.delete(EndpointRegistry.key(ep.namespace, ep.name));
    for (const ip of ep.ips) if (this.byIp.get(ip) === ep) this.byIp.delete(ip);
    if (this.byIfindex.get(ep.ifindex) === ep) this.byIfindex.delete(ep.ifindex);
    if (this.byIdMap.get(ep.id) === ep) this.byIdMap.delete(ep.id);
    this.past.push({ ep, untilNs });
    if (this.past.length > HISTORY_LIMIT) this.past.splice(0, this.past.length - HISTORY_LIMIT);
  }
}

function sameFacts(ep: Endpoint, spec: EndpointSpec, ifindex: number, ips: string[]): boolean {
  return (
    ep.ifindex === ifindex &&
    ep.ips.join() === ips.join() &&
    ep.netns === spec.netns &&
    ep.interface === spec.interface &&
    ep.cgroup === spec.cgroup &&
    JSON.stringify(ep.labels) === JSON.stringify(spec.labels)
  );
}
