// The policy map writer: keeps fl_policy, fl_ipcache, fl_endpoints and fl_cgroups equal to the
// compiled policy plus the endpoint registry, writing only the difference from what the maps hold.
// At start it reads the (pinned, adopted) maps, so a restart rewrites nothing that is still right.
// Order avoids transient wrong verdicts: new and changed entries first, stale ones deleted last.
import { networkInterfaces } from "node:os";
import { type CompiledPolicy, ReservedIdentity } from "@flowlens/policy";
import { Layout } from "../../datapath/layout.js";
import { canonicalIp } from "../../net/ip.js";
import {
  decodeEndpointInfo,
  type EndpointInfoFields,
  endpointInfo,
  ipcacheKey,
  ipcacheValue,
  policyKey,
  policyValue,
  u32Key,
  u64Key,
} from "./keys.js";

/** What the writer needs of a BPF map (BpfMap has it; tests use an in-memory one). */
export interface KvMap {
  readonly name: string;
  readonly maxEntries: number;
  update(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): boolean;
  entries(): Iterable<[Buffer, Buffer]>;
}

export interface PolicyMapSet {
  policy: KvMap;
  ipcache: KvMap;
  endpoints: KvMap;
  cgroups: KvMap;
}

/** The part of a CompiledPolicy the kernel maps hold. */
export type CompiledMaps = Pick<CompiledPolicy, "entries" | "subjects" | "cidrIdentities">;

export interface EndpointInfo {
  /** The collector's local endpoint id. */
  endpointId: number;
  identity: number;
}

export interface ApplyResult {
  /** Entries written (added or changed) and deleted, over all maps. */
  written: number;
  deleted: number;
}

type SubjectFlags = Omit<EndpointInfoFields, "endpointId" | "identity">;

const NO_ENFORCE: SubjectFlags = { enforceIngress: false, enforceEgress: false, auditIngress: false, auditEgress: false };

/** A kernel map and our copy of what it holds (hex key -> hex value). */
class Mirror {
  readonly held = new Map<string, string>();

  constructor(readonly map: KvMap) {
    for (const [k, v] of map.entries()) this.held.set(k.toString("hex"), v.toString("hex"));
  }

  /** Writes key=value unless the map already holds exactly that; true when written. */
  put(key: string, value: string): boolean {
    if (this.held.get(key) === value) return false;
    try {
      this.map.update(Buffer.from(key, "hex"), Buffer.from(value, "hex"));
    } catch (e) {
      throw new Error(`write ${this.map.name}: ${(e as Error).message}`, { cause: e });
    }
    this.held.set(key, value);
    return true;
  }

  remove(key: string): boolean {
    if (!this.held.has(key)) return false;
    this.map.delete(Buffer.from(key, "hex")); // false = already gone: same result
    this.held.delete(key);
    return true;
  }
}

export class PolicyMaps {
  private readonly policy: Mirror;
  private readonly ipcache: Mirror;
  private readonly endpoints: Mirror;
  private readonly cgroups: Mirror;
  /** Default-deny state by subject identity; until the first applyCompiled, what the adopted maps say. */
  private subjects = new Map<number, SubjectFlags>();
  private readonly endpointInfo = new Map<number, EndpointInfo>();
  private readonly cgroupInfo = new Map<bigint, EndpointInfo>();
  /** ipcache sources; for the same key an endpoint address beats a host address beats a CIDR. */
  private readonly endpointIps = new Map<string, string>();
  private hostIps = new Map<string, string>();
  private cidrIps = new Map<string, string>();
  /** fl_ipcache key and value (hex) of each prefix of the last applyCompiled: most stay from one policy set to the next. */
  private cidrKeys = new Map<string, { key: string; identity: number; value: string }>();
  /** Adopted keys nobody has claimed since start (pruneAdopted removes them). */
  private readonly unclaimed: { endpoints: Set<string>; cgroups: Set<string>; ipcache: Set<string> };

  constructor(
    maps: PolicyMapSet,
    private readonly opts: { log?: (msg: string) => void; hostAddresses?: () => string[] } = {},
  ) {
    this.policy = new Mirror(maps.policy);
    this.ipcache = new Mirror(maps.ipcache);
    this.endpoints = new Mirror(maps.endpoints);
    this.cgroups = new Mirror(maps.cgroups);
    for (const m of [this.endpoints, this.cgroups])
      for (const v of m.held.values()) {
        const { endpointId: _e, identity, ...flags } = decodeEndpointInfo(Buffer.from(v, "hex"));
        this.subjects.set(identity, flags);
      }
    // Adopted CIDR entries stay CIDR entries until a compiled policy says otherwise.
    for (const [k, v] of this.ipcache.held) {
      const value = Buffer.from(v, "hex");
      const IV = Layout.fl_ipcache_value.fields;
      if (value.readUInt32LE(IV.endpoint_id) === 0 && value.readUInt32LE(IV.identity) !== ReservedIdentity.HOST) this.cidrIps.set(k, v);
    }
    this.unclaimed = {
      endpoints: new Set(this.endpoints.held.keys()),
      cgroups: new Set(this.cgroups.held.keys()),
      ipcache: new Set([...this.ipcache.held.keys()].filter((k) => !this.cidrIps.has(k))),
    };
  }

  /** Entries the maps hold now, by map. */
  counts(): { policy: number; ipcache: number; endpoints: number; cgroups: number } {
    return {
      policy: this.policy.held.size,
      ipcache: this.ipcache.held.size,
      endpoints: this.endpoints.held.size,
      cgroups: this.cgroups.held.size,
    };
  }

  /** Makes fl_policy, the CIDR part of fl_ipcache and every endpoint's enforce/audit bits match `c`. */
  applyCompiled(c: CompiledMaps): ApplyResult {
    const policy = new Map<string, string>();
    for (const e of c.entries) policy.set(policyKey(e).toString("hex"), policyValue(e).toString("hex"));
    const cidrs = new Map<string, string>();
    const cidrKeys = new Map<string, { key: string; identity: number; value: string }>();
    for (const { cidr, identity } of c.cidrIdentities) {
      let k = this.cidrKeys.get(cidr);
      if (k?.identity !== identity)
        k = { key: k?.key ?? ipcacheKey(cidr).toString("hex"), identity, value: ipcacheValue(identity, 0).toString("hex") };
      cidrKeys.set(cidr, k);
      cidrs.set(k.key, k.value);
    }
    // IPv4 is keyed ::ffff:a.b.c.d, so an IPv6 prefix of /96 or shorter (::/0) would name IPv4
    // addresses too; a world entry at the IPv4 root (0.0.0.0/0's own key) stops IPv4 lookups above it.
    const v4Root = ipcacheKey("0.0.0.0/0").toString("hex");
    if (c.cidrIdentities.some(({ cidr }) => cidr.includes(":")) && !cidrs.has(v4Root))
      cidrs.set(v4Root, ipcacheValue(ReservedIdentity.WORLD, 0).toString("hex"));
    const subjects = new Map<number, SubjectFlags>();
    for (const { identity, ...flags } of c.subjects) subjects.set(identity, flags);

    const res: ApplyResult = { written: 0, deleted: 0 };
    const stalePolicy = [...this.policy.held.keys()].filter((k) => !policy.has(k));
    // Adding before deleting needs room for both; without it, delete first (and say so).
    let added = 0;
    for (const k of policy.keys()) if (!this.policy.held.has(k)) added++;
    if (this.policy.held.size + added > this.policy.map.maxEntries) {
      if (policy.size > this.policy.map.maxEntries)
        throw new Error(`the policy needs ${policy.size} fl_policy entries; the map holds at most ${this.policy.map.maxEntries}`);
      this.log(`fl_policy: not enough room to add before deleting; deleting ${stalePolicy.length} stale entries first`);
      for (const k of stalePolicy) if (this.policy.remove(k)) res.deleted++;
    }
    for (const [k, v] of policy) if (this.policy.put(k, v)) res.written++;
    this.cidrIps = cidrs;
    this.cidrKeys = cidrKeys;
    this.subjects = subjects;
    res.written += this.syncIpcacheAdds();
    res.written += this.syncEndpointInfos();
    res.deleted += this.syncIpcacheDeletes();
    for (const k of stalePolicy) if (this.policy.remove(k)) res.deleted++;
    return res;
  }

  /** The endpoint on host-side interface `ifindex` (subject of its tc decisions). */
  setEndpoint(ifindex: number, info: EndpointInfo): void {
    this.endpointInfo.set(ifindex, { ...info });
    const key = u32Key(ifindex).toString("hex");
    this.unclaimed.endpoints.delete(key);
    this.endpoints.put(key, this.infoValue(info));
  }

  deleteEndpoint(ifindex: number): void {
    this.endpointInfo.delete(ifindex);
    this.endpoints.remove(u32Key(ifindex).toString("hex"));
  }

  /** The endpoint whose processes live in cgroup v2 `cgroupId` (subject of the socket hooks). */
  setCgroup(cgroupId: bigint, info: EndpointInfo): void {
    this.cgroupInfo.set(cgroupId, { ...info });
    const key = u64Key(cgroupId).toString("hex");
    this.unclaimed.cgroups.delete(key);
    this.cgroups.put(key, this.infoValue(info));
  }

  deleteCgroup(cgroupId: bigint): void {
    this.cgroupInfo.delete(cgroupId);
    this.cgroups.remove(u64Key(cgroupId).toString("hex"));
  }

  /** An endpoint address (/32 or /128) and its identity. */
  setIpIdentity(ip: string, identity: number, endpointId: number): void {
    const key = ipcacheKey(canonicalIp(ip)).toString("hex");
    this.endpointIps.set(key, ipcacheValue(identity, endpointId).toString("hex"));
    this.unclaimed.ipcache.delete(key);
    this.ipcache.put(key, this.ipcacheWanted(key) as string);
  }

  deleteIp(ip: string): void {
    const key = ipcacheKey(canonicalIp(ip)).toString("hex");
    this.endpointIps.delete(key);
    this.reconcileIpcacheKey(key);
  }

  /** True when `ip` is one of the host's own addresses (identity 1 in fl_ipcache). */
  isHostAddress(ip: string): boolean {
    return this.hostIps.has(ipcacheKey(canonicalIp(ip)).toString("hex"));
  }

  /** The host's own addresses map to identity 1; call again when they may have changed. */
  refreshHostAddresses(): void {
    const ips = this.opts.hostAddresses?.() ?? localAddresses();
    const next = new Map<string, string>();
    for (const ip of ips) {
      try {
        next.set(ipcacheKey(canonicalIp(ip)).toString("hex"), ipcacheValue(ReservedIdentity.HOST, 0).toString("hex"));
      } catch {
        // scoped IPv6 ("fe80::1%eth0") and the like: not addresses packets carry
      }
    }
    const old = this.hostIps;
    this.hostIps = next;
    for (const k of next.keys()) this.unclaimed.ipcache.delete(k);
    for (const k of next.keys()) this.reconcileIpcacheKey(k);
    for (const k of old.keys()) if (!next.has(k)) this.reconcileIpcacheKey(k);
  }

  /**
   * Removes adopted endpoint, cgroup and address entries that nobody set since start (endpoints that
   * went away while no collector ran). Returns the ifindexes removed, whose tc filters the caller detaches.
   */
  pruneAdopted(): { ifindexes: number[]; cgroups: bigint[]; ips: number } {
    const ifindexes: number[] = [];
    const cgroups: bigint[] = [];
    let ips = 0;
    for (const k of this.unclaimed.ipcache) if (this.reconcileIpcacheKey(k)) ips++;
    for (const k of this.unclaimed.endpoints) if (this.endpoints.remove(k)) ifindexes.push(Buffer.from(k, "hex").readUInt32LE(0));
    for (const k of this.unclaimed.cgroups) if (this.cgroups.remove(k)) cgroups.push(Buffer.from(k, "hex").readBigUInt64LE(0));
    this.unclaimed.ipcache.clear();
    this.unclaimed.endpoints.clear();
    this.unclaimed.cgroups.clear();
    return { ifindexes, cgroups, ips };
  }

  private log(msg: string): void {
    this.opts.log?.(msg);
  }

  private infoValue(info: EndpointInfo): string {
    const flags = this.subjects.get(info.identity) ?? NO_ENFORCE;
    return endpointInfo({ endpointId: info.endpointId, identity: info.identity, ...flags }).toString("hex");
  }

  private syncEndpointInfos(): number {
    let n = 0;
    for (const [ifindex, info] of this.endpointInfo) if (this.endpoints.put(u32Key(ifindex).toString("hex"), this.infoValue(info))) n++;
    for (const [id, info] of this.cgroupInfo) if (this.cgroups.put(u64Key(id).toString("hex"), this.infoValue(info))) n++;
    // Adopted entries not re-registered yet keep their endpoint but follow the new policy.
    for (const m of [this.endpoints, this.cgroups]) {
      const unclaimed = m === this.endpoints ? this.unclaimed.endpoints : this.unclaimed.cgroups;
      for (const k of unclaimed) {
        const held = m.held.get(k);
        if (!held) continue;
        const { endpointId, identity } = decodeEndpointInfo(Buffer.from(held, "hex"));
        if (m.put(k, this.infoValue({ endpointId, identity }))) n++;
      }
    }
    return n;
  }

  /** What fl_ipcache should hold for `key`, undefined for nothing. */
  private ipcacheWanted(key: string): string | undefined {
    if (this.unclaimed.ipcache.has(key)) return this.ipcache.held.get(key);
    return this.endpointIps.get(key) ?? this.hostIps.get(key) ?? this.cidrIps.get(key);
  }

  /** Brings one ipcache key in line; true when it was deleted. */
  private reconcileIpcacheKey(key: string): boolean {
    this.unclaimed.ipcache.delete(key);
    const want = this.ipcacheWanted(key);
    if (want === undefined) return this.ipcache.remove(key);
    this.ipcache.put(key, want);
    return false;
  }

  private syncIpcacheAdds(): number {
    let n = 0;
    // A key in several sources is visited more than once: put() writes only what differs.
    for (const source of [this.endpointIps, this.hostIps, this.cidrIps]) {
      for (const k of source.keys()) {
        const want = this.ipcacheWanted(k);
        if (want !== undefined && this.ipcache.put(k, want)) n++;
      }
    }
    return n;
  }

  private syncIpcacheDeletes(): number {
    let n = 0;
    for (const k of [...this.ipcache.held.keys()]) if (this.ipcacheWanted(k) === undefined && this.ipcache.remove(k)) n++;
    return n;
  }
}

/** Every address of the host's interfaces (os.networkInterfaces), loopback included. */
function localAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .map((a) => a?.address)
    .filter((a): a is string => typeof a === "string");
}
