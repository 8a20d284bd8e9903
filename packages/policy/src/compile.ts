// The compiler: policies + the endpoints they are resolved against → the entries of the kernel's
// policy maps (compiled.ts). Semantics are Cilium's; docs/policy.md ("Policy subset") says what
// each construct becomes.

import { CidrIndex } from "./cidr-index.js";
import type {
  CidrIdentity,
  CompiledPolicy,
  Direction,
  HttpRule,
  L7Port,
  PolicyEntry,
  PolicyRef,
  RuleInfo,
  SubjectState,
} from "./compiled.js";
import { describeNoDefaultDeny, describePeerRule, describeRef } from "./describe.js";
import { cidrIdentities, ReservedIdentity, selectorLabels } from "./identity.js";
import type { PeerRule, Policy, PolicyEndpoint, PortRule, Selector } from "./model.js";
import { namedPrefixes, policyText, selectorKey } from "./policy-memo.js";
import { portMask, portPrefixes } from "./ports.js";
import { namesNamespace, selectorMatches } from "./selector.js";
import { getOrAdd } from "./util.js";

export interface CompileOptions {
  /** Global audit mode: every deny (explicit or default) only audits. */
  audit?: boolean;
}

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

const DIRECTIONS: readonly Direction[] = ["ingress", "egress"];
const PLACEHOLDER: RuleInfo = { ruleId: 0, policies: [], description: "no rule matched (default deny)" };

/** Where an entry came from: one element of a policy's ingress/egress/…Deny list, or a default allow. */
interface Origin {
  /** Undefined for the node's own allow-localhost, which no policy wrote. */
  ref?: PolicyRef;
  audit: boolean;
  description: string;
}

/** Contributions to one map key before merging. */
interface Acc {
  proto: number;
  port: number;
  len: number;
  // Origin lists, created on first use (most keys get one kind of contribution).
  deny?: number[];
  auditDeny?: number[];
  allow?: number[];
  l7?: number[];
  /** Allows no policy wrote (allow-localhost): they open the port at L4 but never widen its HTTP rules. */
  implicit?: number[];
}

/** The keys of one (subject, direction, peer): deny beats allow within it. */
interface Space {
  subject: number;
  direction: Direction;
  peer: number;
  /** By portKeyOf(proto, len, port). */
  accs: Map<number, Acc>;
}

/** A merged key: its entry (but the rule id) and the origins that decide it. */
interface Merged {
  space: Space;
  acc: Acc;
  action: "allow" | "deny";
  audit: boolean;
  l7: boolean;
  /** RuleIds key of the origins. */
  rule: string;
  /** An allow some policy wrote at L4 (not only HTTP rules or allow-localhost). */
  plain: boolean;
}

/** Per subject and direction: the policies that make it default-deny, and those that only add rules. */
interface Coverage {
  subject: number;
  direction: Direction;
  defaultDeny: number[]; // origin ids (one per policy rule) with default deny on
  noDefaultDeny: number[]; // origin ids of "allow all" contributions
}

interface PortKey {
  proto: number;
  port: number;
  len: number;
}

export function compilePolicies(policies: Policy[], endpoints: PolicyEndpoint[], opts: CompileOptions = {}): CompiledPolicy {
  return new Compiler(endpoints, opts).run(policies);
}

class Compiler {
  private readonly origins: Origin[] = [];
  /** Spaces by direction, subject and peer (numeric keys: this is the inner loop). */
  private readonly spaces = { ingress: new Map<number, Map<number, Space>>(), egress: new Map<number, Map<number, Space>>() };
  private readonly coverage = new Map<string, Coverage>(); // `${subject}|${dir}`
  private readonly l7Rules = new Map<
    string,
    { subject: number; port: number; rules: { peers: number[] | "any"; http: HttpRule[]; origin: number; rule: string }[] }
  >();
  /** Distinct (identity, selector labels) pairs, all and by namespace. */
  private readonly labelSets: { identity: number; labels: Record<string, string> }[] = [];
  private readonly byNamespace = new Map<string, { identity: number; labels: Record<string, string> }[]>();
  /** Selector results: many rules repeat the same selector. */
  private readonly selected = new Map<string, number[]>();
  private cidrs = NO_CIDRS;
  private cidrIds: CidrIdentity[] = [];

  constructor(
    endpoints: PolicyEndpoint[],
    private readonly opts: CompileOptions,
  ) {
    const seen = new Set<string>();
    for (const ep of endpoints) {
      const labels = selectorLabels(ep.namespace, ep.labels);
      const key = `${ep.identity}|${JSON.stringify(Object.entries(labels).sort())}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const set = { identity: ep.identity, labels };
      this.labelSets.push(set);
      getOrAdd(this.byNamespace, ep.namespace, () => []).push(set);
    }
  }

  run(input: Policy[]): CompiledPolicy {
    // Sort keys made once, not per comparison.
    const policies = input
      .map((p) => ({ p, k: refKey(p.ref) }))
      .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
      .map((x) => x.p);
    const cidrs = cidrSet(policies.map(namedPrefixes));
    this.cidrs = cidrs.index;
    this.cidrIds = cidrs.ids;
    for (const p of policies) this.addPolicy(p);
    this.addDefaultAllows();
    this.addAllowLocalhost();
    const ids = new RuleIds(this.origins);
    const merged = this.merge(ids);
    for (const l of this.l7Rules.values()) for (const r of l.rules) r.rule = ids.add([r.origin]);
    ids.assign();
    const entries = merged.map((m): PolicyEntry => {
      const { space: sp, acc: a } = m;
      return {
        subject: sp.subject,
        direction: sp.direction,
        peer: sp.peer,
        proto: a.proto,
        port: a.port,
        portPrefixLen: a.len,
        action: m.action,
        audit: m.audit,
        l7: m.l7,
        ruleId: ids.of(m.rule),
      };
    });
    const l7 = this.l7Ports(entries, merged, ids);
    return {
      entries,
      subjects: this.subjects(),
      cidrIdentities: this.cidrIds.slice(),
      rules: ids.infos(),
      l7,
    };
  }

  private addPolicy(p: Policy): void {
    for (const [ruleIndex, rule] of p.rules.entries()) {
      const subjects = this.select(rule.endpointSelector, p.ref, true);
      if (subjects.length === 0) continue;
      const audit = p.audit || this.opts.audit === true;
      for (const [dirIndex, dir] of DIRECTIONS.entries()) {
        // Descriptions per (rule, direction): slot 0 default deny, 1 allow all, 2 + 2i allows[i], 3 + 2i denies[i].
        const group = ruleIndex * 2 + dirIndex;
        const allows = dir === "ingress" ? rule.ingress : rule.egress;
        const denies = dir === "ingress" ? rule.ingressDeny : rule.egressDeny;
        if (allows.length === 0 && denies.length === 0) continue;
        const defaultDeny = rule.enableDefaultDeny[dir] ?? true;
        const cover = defaultDeny
          ? this.origin(
              p.ref,
              audit,
              policyText(p, group, 0, () => `${dir} default deny (${describeRef(p.ref)} ${rule.path})`),
            )
          : this.origin(
              p.ref,
              audit,
              policyText(p, group, 1, () => describeNoDefaultDeny(p, rule, dir)),
            );
        for (const s of subjects) {
          const c = this.cover(s, dir);
          (defaultDeny ? c.defaultDeny : c.noDefaultDeny).push(cover);
        }
        for (const [deny, list] of [
          [false, allows],
          [true, denies],
        ] as const) {
          list.forEach((r, i) => {
            const text = policyText(p, group, 2 + 2 * i + (deny ? 1 : 0), () => describePeerRule(p, rule, dir, deny, i, r));
            this.addPeerRule(subjects, dir, deny, r, this.origin(p.ref, audit, text));
          });
        }
      }
    }
  }

  private addPeerRule(subjects: number[], dir: Direction, deny: boolean, r: PeerRule, origin: number): void {
    const peers = this.peers(r, this.origins[origin].ref as PolicyRef);
    if (peers.length === 0) return;
    const audit = this.origins[origin].audit;
    for (const pr of r.toPorts ?? [undefined]) {
      const l7 = !deny && dir === "ingress" && (pr?.http?.length ?? 0) > 0;
      const list = deny ? (audit ? "auditDeny" : "deny") : l7 ? "l7" : "allow";
      const keys = portKeys(pr);
      for (const s of subjects) {
        for (const peer of peers) {
          const space = this.space(s, dir, peer);
          for (const key of keys) {
            const acc = this.acc(space, key);
            acc[list] ??= [];
            acc[list].push(origin);
          }
        }
      }
      for (const key of keys) {
        if (l7 && pr) {
          for (const s of subjects) this.addL7(s, key.port, peers, pr, origin);
        }
      }
    }
  }

  private addL7(subject: number, port: number, peers: number[], pr: PortRule, origin: number): void {
    const k = `${subject}|${port}`;
    const l = getOrAdd(this.l7Rules, k, () => ({ subject, port, rules: [] }));
    const http = (pr.http ?? []).map((h) => ({
      ...(h.method !== undefined && { method: h.method }),
      ...(h.path !== undefined && { path: h.path }),
    }));
    l.rules.push({ peers: peers.includes(ReservedIdentity.ANY) ? "any" : peers, http, origin, rule: "" });
  }

  /** Endpoints selectors of a namespaced policy see their own namespace unless they name one (Cilium). */
  private select(sel: Selector, ref: PolicyRef, subject: boolean): number[] {
    const ns = ref.namespace;
    const scoped = ns !== "" && (subject || !namesNamespace(sel));
    const key = `${scoped ? ns : ""}|${selectorKey(sel)}`;
    const hit = this.selected.get(key);
    if (hit) return hit;
    const out = new Set<number>();
    for (const { identity, labels } of scoped ? (this.byNamespace.get(ns) ?? []) : this.labelSets) {
      if (!out.has(identity) && selectorMatches(sel, labels)) out.add(identity);
    }
    const ids = [...out].sort((a, b) => a - b);
    this.selected.set(key, ids);
    return ids;
  }

  /** Peer identities of one rule, sorted; [0] when it names no peer but ports (L4-only), [] when it names nothing. */
  private peers(r: PeerRule, ref: PolicyRef): number[] {
    const out = new Set<number>();
    const l3 = r.endpoints !== undefined || r.cidrs !== undefined || r.entities !== undefined;
    if (!l3) return r.toPorts ? [ReservedIdentity.ANY] : [];
    // One CIDR alone (the common case): its identities are distinct already.
    if (r.endpoints === undefined && r.entities === undefined && r.cidrs?.length === 1)
      return this.cidrs.within(r.cidrs[0].cidr, r.cidrs[0].except).sort((a, b) => a - b);
    for (const sel of r.endpoints ?? []) for (const id of this.select(sel, ref, false)) out.add(id);
    for (const c of r.cidrs ?? []) for (const id of this.cidrs.within(c.cidr, c.except)) out.add(id);
    for (const e of r.entities ?? []) {
      if (e === "all") return [ReservedIdentity.ANY];
      if (e === "host") out.add(ReservedIdentity.HOST);
      if (e === "world") {
        out.add(ReservedIdentity.WORLD);
        for (const c of this.cidrIds) out.add(c.identity);
      }
    }
    return [...out].sort((a, b) => a - b);
  }

  private origin(ref: PolicyRef | undefined, audit: boolean, description: string): number {
    this.origins.push({ ref, audit, description });
    return this.origins.length - 1;
  }

  private cover(subject: number, direction: Direction): Coverage {
    return getOrAdd(this.coverage, `${subject}|${direction}`, () => ({ subject, direction, defaultDeny: [], noDefaultDeny: [] }));
  }

  private space(subject: number, direction: Direction, peer: number): Space {
    const bySubject = getOrAdd(this.spaces[direction], subject, () => new Map<number, Space>());
    let sp = bySubject.get(peer);
    if (!sp) {
      sp = { subject, direction, peer, accs: new Map() };
      bySubject.set(peer, sp);
    }
    return sp;
  }

  private acc(space: Space, k: PortKey): Acc {
    const key = portKeyOf(k.proto, k.len, k.port);
    let a = space.accs.get(key);
    if (!a) {
      a = { proto: k.proto, port: k.port, len: k.len };
      space.accs.set(key, a);
    }
    return a;
  }

  /** A direction only policies with enableDefaultDeny false touch stays open: their denies still apply. */
  private addDefaultAllows(): void {
    for (const c of this.coverage.values()) {
      if (c.defaultDeny.length > 0) continue;
      const acc = this.acc(this.space(c.subject, c.direction, ReservedIdentity.ANY), ANY_PORT);
      acc.allow ??= [];
      acc.allow.push(...c.noDefaultDeny);
    }
  }

  /**
   * Cilium's allow-localhost: the node itself (identity 1: health checks, kubelet probes) reaches every
   * ingress-enforcing endpoint, at any port. It is an ordinary allow, so an explicit deny that covers
   * the host (named, any peer, a port) still wins, as in Cilium.
   */
  private addAllowLocalhost(): void {
    let origin: number | undefined;
    for (const c of this.coverage.values()) {
      if (c.direction !== "ingress") continue;
      origin ??= this.origin(undefined, false, "ingress allow from reserved:host (allow-localhost: the node reaches its endpoints)");
      const acc = this.acc(this.space(c.subject, "ingress", ReservedIdentity.HOST), ANY_PORT);
      acc.implicit ??= [];
      acc.implicit.push(origin);
    }
  }

  /** One entry per key; deny beats allow at a key and over every longer allow of the same (subject, peer, direction). */
  private merge(ids: RuleIds): Merged[] {
    const out: Merged[] = [];
    for (const bySubject of [this.spaces.ingress, this.spaces.egress]) {
      for (const spaces of bySubject.values()) {
        for (const space of spaces.values()) this.mergeSpace(space, ids, out);
      }
    }
    return out.sort((x, y) => cmpMerged(x, y));
  }

  private mergeSpace(space: Space, ids: RuleIds, out: Merged[]): void {
    // Keys of the space's denies (none in most spaces).
    let hard: Set<number> | undefined;
    let soft: Set<number> | undefined;
    for (const [k, a] of space.accs) {
      if (a.deny?.length) {
        hard ??= new Set();
        hard.add(k);
      } else if (a.auditDeny?.length) {
        soft ??= new Set();
        soft.add(k);
      }
    }
    for (const acc of space.accs.values()) {
      if (acc.deny?.length) {
        out.push({ space, acc, action: "deny", audit: false, l7: false, rule: ids.add(acc.deny), plain: false });
      } else if (acc.auditDeny?.length) {
        if (covered(hard, acc, true)) continue; // an enforced deny around it decides
        out.push({ space, acc, action: "deny", audit: true, l7: false, rule: ids.add(acc.auditDeny), plain: false });
      } else {
        if (covered(hard, acc, false) || covered(soft, acc, false)) continue;
        const origins = [...(acc.allow ?? []), ...(acc.l7 ?? []), ...(acc.implicit ?? [])];
        const audit = origins.every((o) => this.origins[o].audit);
        const l7 = (acc.l7?.length ?? 0) > 0;
        out.push({ space, acc, action: "allow", audit, l7, rule: ids.add(origins), plain: (acc.allow?.length ?? 0) > 0 });
      }
    }
  }

  private subjects(): SubjectState[] {
    const m = new Map<number, SubjectState>();
    for (const c of this.coverage.values()) {
      const identity = c.subject;
      const st = getOrAdd(m, identity, () => ({
        identity,
        enforceIngress: false,
        enforceEgress: false,
        auditIngress: false,
        auditEgress: false,
      }));
      const audit = this.opts.audit === true || (c.defaultDeny.length > 0 && c.defaultDeny.every((o) => this.origins[o].audit));
      if (c.direction === "ingress") {
        st.enforceIngress = true;
        st.auditIngress = audit;
      } else {
        st.enforceEgress = true;
        st.auditEgress = audit;
      }
    }
    return [...m.values()].sort((a, b) => a.identity - b.identity);
  }

  /**
   * HTTP rules per (subject, port). Every allow entry that also covers TCP/port for some peers adds
   * an "allow every request" rule for them: the kernel redirects the port as a whole, so the proxy
   * must honour the L4-only allows too.
   */
  private l7Ports(entries: PolicyEntry[], merged: Merged[], ids: RuleIds): L7Port[] {
    const out: L7Port[] = [];
    if (this.l7Rules.size === 0) return out;
    // The plain ingress allows by subject, in entry order.
    const plainBySubject = new Map<number, PolicyEntry[]>();
    entries.forEach((e, i) => {
      if (e.direction === "ingress" && e.action === "allow" && merged[i].plain) getOrAdd(plainBySubject, e.subject, () => []).push(e);
    });
    for (const l of this.l7Rules.values()) {
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
      const audit = l.rules.every((r) => this.origins[r.origin].audit);
      out.push({ subject: l.subject, port: l.port, proto: IPPROTO_TCP, rules, ...(audit && { audit }) });
    }
    return out.sort((a, b) => a.subject - b.subject || a.port - b.port);
  }
}

/** Rule ids for sets of origins: the same policies give the same ids, in the order of the origin sets. */
class RuleIds {
  private readonly sets = new Map<string, number[]>();
  private readonly ids = new Map<string, number>();
  /** The sets in id order (after assign()). */
  private order: [string, number[]][] = [];

  constructor(private readonly origins: Origin[]) {}

  /** Registers a set of origins; returns the key of() takes. */
  add(origins: number[]): string {
    const set = origins.length === 1 ? [origins[0]] : [...new Set(origins)].sort((a, b) => a - b);
    const key = set.join(",");
    if (!this.sets.has(key)) this.sets.set(key, set);
    return key;
  }

  /** The id of a registered set (after assign()). */
  of(key: string): number {
    const id = this.ids.get(key);
    if (id === undefined) throw new Error(`internal: rule set ${key} has no id`);
    return id;
  }

  infos(): RuleInfo[] {
    const out: RuleInfo[] = [PLACEHOLDER];
    for (const [key, set] of this.order) {
      const refs = new Map<string, PolicyRef>();
      for (const o of set) {
        const ref = this.origins[o].ref;
        if (ref) refs.set(refKey(ref), ref);
      }
      out.push({
        ruleId: this.ids.get(key) ?? 0,
        policies: [...refs.values()],
        // One origin: its (memoized) text itself, shared with earlier compilations.
        description: set.length === 1 ? this.origins[set[0]].description : set.map((o) => this.origins[o].description).join("; "),
      });
    }
    return out;
  }

  assign(): void {
    this.order = [...this.sets.entries()].sort((a, b) => cmpNumbers(a[1], b[1]));
    for (const [i, [key]] of this.order.entries()) this.ids.set(key, i + 1);
  }
}

const ANY_PORT_KEYS: readonly PortKey[] = [{ proto: 0, port: 0, len: 0 }];
/** portKeys per port rule object (policies are not changed once parsed). */
const portKeysMemo = new WeakMap<PortRule, readonly PortKey[]>();

function portKeys(pr: PortRule | undefined): readonly PortKey[] {
  if (!pr) return ANY_PORT_KEYS;
  let out = portKeysMemo.get(pr);
  if (!out) {
    out = makePortKeys(pr);
    portKeysMemo.set(pr, out);
  }
  return out;
}

function makePortKeys(pr: PortRule): PortKey[] {
  const out: PortKey[] = [];
  const l7 = (pr.http?.length ?? 0) > 0;
  for (const p of pr.ports) {
    const protos =
      p.protocol === "TCP" ? [IPPROTO_TCP] : p.protocol === "UDP" ? [IPPROTO_UDP] : l7 ? [IPPROTO_TCP] : [IPPROTO_TCP, IPPROTO_UDP];
    const prefixes = p.port === undefined ? [{ port: 0, len: 0 }] : portPrefixes(p.port, p.endPort ?? p.port);
    for (const proto of protos) for (const x of prefixes) out.push({ proto, port: x.port, len: x.len });
  }
  return out;
}

/** CIDR identities and their index for the prefixes of each policy (in policy order). */
interface CidrSet {
  named: string[][];
  ids: CidrIdentity[];
  index: CidrIndex;
}

/** Until run() builds the compilation's own (one instance: building an index records its parses for the next). */
const NO_CIDRS = new CidrIndex([]);

/** The last compilation's: an apply that adds or changes no prefix reuses it. */
let lastCidrs: CidrSet | undefined;

function cidrSet(named: string[][]): CidrSet {
  if (lastCidrs && sameLists(lastCidrs.named, named)) return lastCidrs;
  const ids = cidrIdentities(named.flat());
  lastCidrs = { named, ids, index: new CidrIndex(ids) };
  return lastCidrs;
}

function sameLists(a: string[][], b: string[][]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    if (a[i].length !== b[i].length) return false;
    for (let j = 0; j < a[i].length; j++) if (a[i][j] !== b[i][j]) return false;
  }
  return true;
}

const ANY_PORT: PortKey = { proto: 0, port: 0, len: 0 };

/** One number per (proto, port prefix): proto < 256, len <= 16, port < 65536. */
function portKeyOf(proto: number, len: number, port: number): number {
  return proto * 0x200000 + len * 0x10000 + port;
}

/** Whether a prefix of `set` (portKeyOf keys) covers the key (strictly shorter ones only when `strict`). */
function covered(set: Set<number> | undefined, a: { proto: number; len: number; port: number }, strict: boolean): boolean {
  if (!set || set.size === 0) return false;
  if (set.has(portKeyOf(0, 0, 0)) && !(strict && a.proto === 0)) return true;
  if (a.proto === 0) return false;
  for (let l = 0; l <= a.len; l++) {
    if (strict && l === a.len) break;
    if (set.has(portKeyOf(a.proto, l, a.port & portMask(l)))) return true;
  }
  return false;
}

function refKey(r: PolicyRef): string {
  return `${r.kind}\u0000${r.namespace}\u0000${r.name}`;
}

function cmpNumbers(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Entry order: subject, direction (ingress first), peer, proto, port prefix length, port. */
function cmpMerged(x: Merged, y: Merged): number {
  const a = x.space;
  const b = y.space;
  return (
    a.subject - b.subject ||
    (a.direction === b.direction ? 0 : a.direction === "ingress" ? -1 : 1) ||
    a.peer - b.peer ||
    x.acc.proto - y.acc.proto ||
    x.acc.len - y.acc.len ||
    x.acc.port - y.acc.port
  );
}
