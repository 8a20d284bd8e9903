// Keeps the kernel in step with the policies and the endpoints: compiles the policy set against the
// node's endpoints, writes the result (policy entries, default-deny states, endpoint and cgroup
// subjects, address identities) through the map writer, hands the L7 ports to the proxy's
// supervisor, and records each compilation's rules so verdict records can name their policies.
// Recompiles when an endpoint appears, leaves or changes. An install writes the maps at once unless
// it makes an endpoint L7 whose listener the proxy has not registered yet: then the old rules stay
// in force until it has (at most l7WaitMs), so there is never a moment in which the kernel sends
// connections to a proxy that is not there. whenWritten() resolves when the maps say so; Apply awaits it.
import { statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import {
  addressIdentity,
  type CompiledPolicy,
  compilePolicies,
  type PolicyEndpoint,
  type PolicyError,
  type PolicyRef,
  ReservedIdentity,
  type TraceEndpoint,
  type TraceResult,
  tracePolicy,
} from "@flowlens/policy";
import { monoNowNs } from "../../clock/monotonic.js";
import type { PolicyRules } from "../../datapath/decoder-hooks.js";
import type { Endpoint, EndpointRegistry } from "../../endpoints/registry.js";
import { derivedLabels, type FlowPolicyRef, RuleHistory, RuleTable } from "../../flows/rule-table.js";
import { canonicalIp } from "../../net/ip.js";
import { type PolicyInstaller, policyKey, type StoredPolicy } from "./store.js";

/** What the engine needs of the map writer (PolicyMaps in policy/maps/maps.ts). */
export interface PolicyMapsPort {
  applyCompiled(c: CompiledPolicy): unknown;
  setEndpoint(ifindex: number, info: { endpointId: number; identity: number }): void;
  deleteEndpoint(ifindex: number): void;
  setCgroup(cgroupId: bigint, info: { endpointId: number; identity: number }): void;
  deleteCgroup(cgroupId: bigint): void;
  setIpIdentity(ip: string, identity: number, endpointId: number): void;
  deleteIp(ip: string): void;
  /** True for the host's own addresses (reserved:host in fl_ipcache). */
  isHostAddress?(ip: string): boolean;
}

/** What the engine needs of the L7 proxy's supervisor (L7Supervisor): the endpoints with L7 ports and their rules. */
export interface L7Port {
  /** Before the maps change: the proxy learns the new L7 ports and starts listening for new L7 endpoints. */
  stage(compiled: CompiledPolicy, endpoints: readonly Endpoint[]): void;
  /** Staged new L7 endpoints ("namespace/name") the proxy does not listen for yet. */
  unregistered(): string[];
  /** After the maps changed: exactly the compilation's L7 ports. */
  update(compiled: CompiledPolicy, endpoints: readonly Endpoint[]): void;
}

export interface EngineDeps {
  registry: EndpointRegistry;
  /** --policy-audit-mode: every deny only audits. */
  audit: boolean;
  log(msg: string): void;
  maps?: PolicyMapsPort;
  l7?: L7Port;
  /** Resolves an endpoint's `cgroup` (absolute, or relative to the cgroup v2 root) to its id. */
  cgroupId?(path: string): bigint;
  /** Longest wait for the proxy's listeners before the maps are written anyway; default 3000 ms. */
  l7WaitMs?: number;
}

/** A compilation waiting for the proxy before it is written, and who waits for it. */
interface Staged {
  compiled: CompiledPolicy;
  sinceNs: number;
  waiters: { resolve(): void; reject(e: Error): void }[];
}

/** cgroup v2 id of a cgroup directory: its inode number (what bpf_get_current_cgroup_id returns). */
export function cgroupIdOf(path: string, root: string | undefined): bigint {
  const dir = isAbsolute(path) || !root ? path : join(root, path);
  try {
    return statSync(dir, { bigint: true }).ino;
  } catch (e) {
    throw new Error(
      `cgroup ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} — create it or fix the endpoint's "cgroup"`,
      { cause: e },
    );
  }
}

/** One connection to trace: each side by exactly one of pod, IP or identity. */
export interface TraceQuery {
  fromPod?: string;
  toPod?: string;
  fromIp?: string;
  toIp?: string;
  fromIdentity?: number;
  toIdentity?: number;
  dport: number;
  protocol: string;
  httpMethod?: string;
  httpPath?: string;
}

export interface TraceAnswer {
  result: TraceResult;
  fromIdentity: number;
  toIdentity: number;
  /** Policies of the deciding rule, as flows name them. */
  policies: readonly FlowPolicyRef[];
}

/** A trace request that cannot be answered: bad arguments, or (notFound) an unknown pod. */
export class TraceError extends Error {
  constructor(
    message: string,
    readonly notFound = false,
  ) {
    super(message);
  }
}

export class PolicyEngine implements PolicyInstaller, PolicyRules {
  readonly rules = new RuleHistory();
  /** Flow names of the policies, kept from one rule table to the next while the policy object and revision stay. */
  private readonly flowRefs = new WeakMap<PolicyRef, FlowPolicyRef>();
  private set: readonly StoredPolicy[] = [];
  private compiled: CompiledPolicy = compilePolicies([], []);
  /** What was written per endpoint, to remove exactly that when it changes or leaves. */
  private readonly written = new Map<string, { ifindex: number; cgroup?: bigint; ips: string[] }>();
  private pending: NodeJS.Immediate | undefined;
  /** Endpoints whose cgroup could not be resolved, by key, with the reason (logged once). */
  private readonly cgroupErrors = new Map<string, string>();
  /** Time the last install took, for logs and tests. */
  lastInstallMs = 0;
  /** Until start(), installs only record the set: the adopted (pinned) maps stay as they are. */
  private started = false;
  private staged: Staged | undefined;
  private stagedTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: EngineDeps) {}

  /**
   * Starts writing the kernel maps and following the registry. Call it once the endpoints and the
   * persisted policies are loaded: before that, a restart's pinned maps keep enforcing what they held.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    const reg = this.deps.registry;
    reg.on("added", () => this.schedule());
    reg.on("removed", () => this.schedule());
    reg.on("updated", () => this.schedule());
    this.install(this.set, this.compile(this.set));
  }

  /** The compilation's rule table in force at `tsNs`, for verdict records and L7 events. */
  rulesAt(tsNs: number): RuleTable {
    return this.rules.at(tsNs);
  }

  /**
   * Start-up held (a policy source failed): the pinned maps stay as they are, and the verdicts they
   * stamp are named from `lastGood`, the set they were written from. start() ends it.
   */
  hold(lastGood: readonly StoredPolicy[]): void {
    try {
      const compiled = this.compile(lastGood);
      this.compiled = compiled;
      this.rules.push(this.ruleTable(monoNowNs(), lastGood, compiled));
    } catch (e) {
      this.deps.log(`policy: the last good set does not compile against the endpoints, verdicts go unnamed: ${(e as Error).message}`);
    }
  }

  get current(): CompiledPolicy {
    return this.compiled;
  }

  prepare(set: readonly StoredPolicy[]): { ok: true; install(): void } | { ok: false; errors: PolicyError[] } {
    let compiled: CompiledPolicy;
    try {
      compiled = this.compile(set);
    } catch (e) {
      return { ok: false, errors: [{ source: "", path: "", message: `compile: ${(e as Error).message}` }] };
    }
    return { ok: true, install: () => this.install(set, compiled) };
  }

  private compile(set: readonly StoredPolicy[]): CompiledPolicy {
    return compilePolicies(
      set.map((s) => s.policy),
      this.policyEndpoints(),
      { audit: this.deps.audit },
    );
  }

  /** One entry per identity: endpoints sharing labels share an identity. */
  private policyEndpoints(): PolicyEndpoint[] {
    const byIdentity = new Map<number, PolicyEndpoint>();
    for (const ep of this.deps.registry.list())
      if (!byIdentity.has(ep.identity)) byIdentity.set(ep.identity, { identity: ep.identity, namespace: ep.namespace, labels: ep.labels });
    return [...byIdentity.values()];
  }

  /** Endpoint changes arrive one by one (an endpoints file adds many): recompile once after them. */
  private schedule(): void {
    if (this.pending) return;
    this.pending = setImmediate(() => {
      this.pending = undefined;
      this.recompile();
    });
  }

  /** Recompiles the current set against the endpoints now (also on a timer-free path for tests). */
  recompile(): void {
    if (this.pending) {
      clearImmediate(this.pending);
      this.pending = undefined;
    }
    try {
      this.install(this.set, this.compile(this.set));
    } catch (e) {
      this.deps.log(`policy: recompile after an endpoint change failed, the maps keep the previous state: ${(e as Error).message}`);
    }
  }

  private install(set: readonly StoredPolicy[], compiled: CompiledPolicy): void {
    // Taken first: recompiles start from this set, and should a map write fail, the next endpoint change retries it.
    this.set = set;
    this.compiled = compiled;
    if (!this.started) return;
    try {
      this.deps.l7?.stage(compiled, this.deps.registry.list());
    } catch (e) {
      this.deps.log(`policy: L7 proxy update failed: ${(e as Error).message}`);
    }
    // A newer compilation replaces one still waiting; its waiters then wait for this one.
    this.staged = { compiled, sinceNs: this.staged?.sinceNs ?? monoNowNs(), waiters: this.staged?.waiters ?? [] };
    this.flush(true);
  }

  /** True while an install waits for the proxy's listeners (whenWritten() then waits too). */
  get waiting(): boolean {
    return this.staged !== undefined;
  }

  /** Resolves once the last install is in the maps (at once when none waits for the proxy). */
  whenWritten(): Promise<void> {
    const s = this.staged;
    if (!s) return Promise.resolve();
    return new Promise((resolve, reject) => s.waiters.push({ resolve, reject }));
  }

  /** Writes the staged compilation once the proxy listens for its new L7 endpoints or the wait is over. */
  private flush(sync: boolean): void {
    const s = this.staged;
    if (!s) return;
    let missing: string[] = [];
    try {
      missing = this.deps.l7?.unregistered() ?? [];
    } catch (e) {
      this.deps.log(`policy: L7 proxy listeners: ${(e as Error).message}`);
    }
    const waitedMs = (monoNowNs() - s.sinceNs) / 1e6;
    if (missing.length > 0 && waitedMs < (this.deps.l7WaitMs ?? 3000)) {
      this.stagedTimer ??= setTimeout(() => {
        this.stagedTimer = undefined;
        this.flush(false);
      }, 5);
      return;
    }
    if (missing.length > 0)
      this.deps.log(
        `policy: the L7 proxy has no listener for ${missing.join(", ")} after ${Math.round(waitedMs)} ms; enforcing anyway (their L7 connections are refused until it listens)`,
      );
    this.staged = undefined;
    clearTimeout(this.stagedTimer);
    this.stagedTimer = undefined;
    try {
      this.write(s.compiled, s.sinceNs);
    } catch (e) {
      for (const w of s.waiters) w.reject(e as Error);
      if (sync) throw e;
      this.deps.log(`policy: writing the maps failed, the next change retries: ${(e as Error).message}`);
      return;
    }
    for (const w of s.waiters) w.resolve();
  }

  private write(compiled: CompiledPolicy, sinceNs: number): void {
    const maps = this.deps.maps;
    // Rule ids of records stamped from now on mean this compilation's rules.
    this.rules.push(this.ruleTable(monoNowNs(), this.set, compiled));
    // Entries and default-deny states first, so an endpoint written below is enforced at once.
    maps?.applyCompiled(compiled);
    this.syncEndpoints();
    try {
      this.deps.l7?.update(compiled, this.deps.registry.list());
    } catch (e) {
      this.deps.log(`policy: L7 proxy update failed: ${(e as Error).message}`);
    }
    this.lastInstallMs = (monoNowNs() - sinceNs) / 1e6;
  }

  private ruleTable(sinceNs: number, set: readonly StoredPolicy[], c: CompiledPolicy): RuleTable {
    // The compiler passes the stored policies' ref objects on: look revisions up by object first.
    const byRef = new Map<PolicyRef, number>();
    for (const s of set) byRef.set(s.policy.ref, s.revision);
    let byKey: Map<string, number> | undefined;
    const revisionOf = (p: PolicyRef) => {
      const r = byRef.get(p);
      if (r !== undefined) return r;
      byKey ??= new Map(set.map((s) => [policyKey(s.policy.ref), s.revision]));
      return byKey.get(policyKey(p)) ?? 0;
    };
    const policies = c.rules.map((r) =>
      r.policies.map((p) => {
        const revision = revisionOf(p);
        let ref = this.flowRefs.get(p);
        if (ref?.revision !== revision) {
          ref = { ...p, labels: derivedLabels(p.name, p.namespace, p.kind), revision };
          this.flowRefs.set(p, ref);
        }
        return ref;
      }),
    );
    return new RuleTable(
      sinceNs,
      policies,
      c.rules.map((r) => r.description),
    );
  }

  /** fl_endpoints, fl_cgroups and the endpoint addresses of fl_ipcache, as a diff of what was written. */
  private syncEndpoints(): void {
    const maps = this.deps.maps;
    if (!maps) return;
    const seen = new Set<string>();
    for (const ep of this.deps.registry.list()) {
      const key = `${ep.namespace}/${ep.name}`;
      seen.add(key);
      const info = { endpointId: ep.id, identity: ep.identity };
      const old = this.written.get(key);
      const cgroup = this.cgroupOf(key, ep);
      // Addresses first: a peer must resolve to its identity before its subject state says enforce.
      for (const ip of ep.ips) maps.setIpIdentity(ip, ep.identity, ep.id);
      for (const ip of old?.ips ?? []) if (!ep.ips.includes(ip) && this.deps.registry.byAddress(ip) === undefined) maps.deleteIp(ip);
      if (old && old.ifindex !== ep.ifindex && this.deps.registry.byInterface(old.ifindex) === undefined) maps.deleteEndpoint(old.ifindex);
      maps.setEndpoint(ep.ifindex, info);
      if (old?.cgroup !== undefined && old.cgroup !== cgroup) maps.deleteCgroup(old.cgroup);
      if (cgroup !== undefined) maps.setCgroup(cgroup, info);
      this.written.set(key, { ifindex: ep.ifindex, cgroup, ips: [...ep.ips] });
    }
    for (const [key, old] of this.written) {
      if (seen.has(key)) continue;
      this.written.delete(key);
      this.cgroupErrors.delete(key);
      if (this.deps.registry.byInterface(old.ifindex) === undefined) maps.deleteEndpoint(old.ifindex);
      if (old.cgroup !== undefined) maps.deleteCgroup(old.cgroup);
      for (const ip of old.ips) if (this.deps.registry.byAddress(ip) === undefined) maps.deleteIp(ip);
    }
  }

  private cgroupOf(key: string, ep: Endpoint): bigint | undefined {
    if (!ep.cgroup || !this.deps.cgroupId) return undefined;
    try {
      const id = this.deps.cgroupId(ep.cgroup);
      this.cgroupErrors.delete(key);
      return id;
    } catch (e) {
      const msg = (e as Error).message;
      if (this.cgroupErrors.get(key) !== msg) this.deps.log(`endpoint ${key}: socket-level policy off: ${msg}`);
      this.cgroupErrors.set(key, msg);
      return undefined;
    }
  }

  /**
   * `policy trace` from the installed compilation. Each side is a local endpoint ("ns/name" or
   * "name"), an address (resolved as fl_ipcache resolves it) or an identity: exactly one of each.
   */
  trace(q: TraceQuery): TraceAnswer {
    const from = this.traceSide(q.fromPod, q.fromIp, q.fromIdentity, "from");
    const to = this.traceSide(q.toPod, q.toIp, q.toIdentity, "to");
    if (!Number.isInteger(q.dport) || q.dport < 1 || q.dport > 65535) throw new TraceError(`dport ${q.dport} is not a port (1-65535)`);
    const proto = (q.protocol || "TCP").toUpperCase();
    if (proto !== "TCP" && proto !== "UDP") throw new TraceError(`protocol "${q.protocol}" is not TCP or UDP`);
    if ((q.httpMethod === undefined) !== (q.httpPath === undefined))
      throw new TraceError("give both an HTTP method and an HTTP path, or neither");
    const result = tracePolicy(this.compiled, {
      from,
      to,
      dport: q.dport,
      proto: proto as "TCP" | "UDP",
      httpMethod: q.httpMethod,
      httpPath: q.httpPath,
    });
    const policies = result.rule ? this.rules.current.policiesOf(result.rule.ruleId) : [];
    return { result, fromIdentity: from.identity, toIdentity: to.identity, policies };
  }

  private traceSide(pod: string | undefined, ip: string | undefined, identity: number | undefined, which: string): TraceEndpoint {
    const given = [pod, ip, identity].filter((x) => x !== undefined && x !== "").length;
    if (given !== 1)
      throw new TraceError(`give exactly one of ${which} pod, ${which} IP and ${which} identity (${given === 0 ? "none" : given} given)`);
    if (pod) {
      const ep = this.endpoint(pod, which);
      return { identity: ep.identity, name: `${ep.namespace}/${ep.name}` };
    }
    if (ip) return this.addressSide(ip, which);
    const id = identity as number;
    if (!Number.isInteger(id) || id < 1 || id > 0xffffffff)
      throw new TraceError(`${which} identity ${id} is not a security identity (1 = host, 2 = world, or a CIDR or endpoint identity)`);
    return { identity: id };
  }

  /** The identity the kernel gives an address: a local endpoint's, the host's, the longest CIDR identity, else world. */
  private addressSide(ip: string, which: string): TraceEndpoint {
    let addr: string;
    try {
      addr = canonicalIp(ip);
    } catch {
      throw new TraceError(`${which} IP "${ip}" is not an IPv4 or IPv6 address`);
    }
    const ep = this.deps.registry.byAddress(addr);
    if (ep) return { identity: ep.identity, name: `${addr} ${ep.namespace}/${ep.name}` };
    if (this.deps.maps?.isHostAddress?.(addr)) return { identity: ReservedIdentity.HOST, name: `${addr} reserved:host` };
    const identity = addressIdentity(this.compiled.cidrIdentities, addr);
    const cidr = this.compiled.cidrIdentities.find((c) => c.identity === identity);
    return { identity, name: `${addr} ${cidr ? `cidr:${cidr.cidr}` : "reserved:world"}` };
  }

  private endpoint(ref: string, which: string): Endpoint {
    const parts = ref.split("/");
    if (ref === "" || parts.length > 2 || parts.some((p) => p === ""))
      throw new TraceError(`${which} pod "${ref}" is not NAMESPACE/NAME or NAME`);
    const [ns, name] = parts.length === 2 ? parts : ["default", parts[0]];
    const ep = this.deps.registry.get(ns, name);
    if (!ep) throw new TraceError(`${which} pod ${ns}/${name} is not an endpoint of this node (see flowlens endpoint list)`, true);
    return ep;
  }
}
