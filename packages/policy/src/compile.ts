// The compiler: policies + the endpoints they are resolved against → the entries of the kernel's
// policy maps (compiled.ts). Semantics are Cilium's; docs/policy.md ("Policy subset") says what
// each construct becomes.

import { l7Ports } from "./compile-l7.js";
import { mergeSpaces } from "./compile-merge.js";
import type { Acc, Coverage, L7Collected, Origin, PortKey, Space } from "./compile-model.js";
import { ANY_PORT, portKeyOf, portKeys } from "./compile-model.js";
import { RuleIds, refKey } from "./compile-rule-ids.js";
import { PeerSelector } from "./compile-select.js";
import type { CompiledPolicy, Direction, PolicyEntry, PolicyRef, SubjectState } from "./compiled.js";
import { describeNoDefaultDeny, describePeerRule, describeRef } from "./describe.js";
import { ReservedIdentity } from "./identity.js";
import type { PeerRule, Policy, PolicyEndpoint, PortRule } from "./model.js";
import { policyText } from "./policy-memo.js";
import { getOrAdd } from "./util.js";

export interface CompileOptions {
  /** Global audit mode: every deny (explicit or default) only audits. */
  audit?: boolean;
}

// The protocol numbers live with the port rules (ports.ts); importers of the compiler find them here too.
export { IPPROTO_TCP, IPPROTO_UDP } from "./ports.js";

const DIRECTIONS: readonly Direction[] = ["ingress", "egress"];

export function compilePolicies(policies: Policy[], endpoints: PolicyEndpoint[], opts: CompileOptions = {}): CompiledPolicy {
  return new Compiler(endpoints, opts).run(policies);
}

/**
 * One compilation. Reading the policies collects contributions (origins) per map key in each
 * (subject, direction, peer) space; merging (compile-merge.ts) turns them into entries; rule ids
 * (compile-rule-ids.ts) name their origins; the L7 ports (compile-l7.ts) come last.
 */
class Compiler {
  private readonly origins: Origin[] = [];
  /** Spaces by direction, subject and peer (numeric keys: this is the inner loop). */
  private readonly spaces = { ingress: new Map<number, Map<number, Space>>(), egress: new Map<number, Map<number, Space>>() };
  private readonly coverage = new Map<string, Coverage>(); // `${subject}|${dir}`
  private readonly l7Rules = new Map<string, L7Collected>(); // `${subject}|${port}`
  private readonly selector: PeerSelector;

  constructor(
    endpoints: PolicyEndpoint[],
    private readonly opts: CompileOptions,
  ) {
    this.selector = new PeerSelector(endpoints);
  }

  run(input: Policy[]): CompiledPolicy {
    // Sort keys made once, not per comparison.
    const policies = input
      .map((p) => ({ p, k: refKey(p.ref) }))
      .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
      .map((x) => x.p);
    this.selector.useCidrsOf(policies);
    for (const p of policies) this.addPolicy(p);
    this.addDefaultAllows();
    this.addAllowLocalhost();
    const ids = new RuleIds(this.origins);
    const merged = mergeSpaces(this.spaces, this.origins, ids);
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
    const l7 = l7Ports(this.l7Rules, entries, merged, ids, this.origins);
    return {
      entries,
      subjects: this.subjects(),
      cidrIdentities: this.selector.cidrIds.slice(),
      rules: ids.infos(),
      l7,
    };
  }

  private addPolicy(p: Policy): void {
    for (const [ruleIndex, rule] of p.rules.entries()) {
      const subjects = this.selector.select(rule.endpointSelector, p.ref, true);
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
    const peers = this.selector.peers(r, this.origins[origin].ref as PolicyRef);
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
}
