// Which identities a selector or a peer rule names: endpoint selectors over the node's distinct
// (identity, labels) sets, CIDRs over the compilation's CIDR identities, entities over the reserved ones.
import { CidrIndex } from "./cidr-index.js";
import type { CidrIdentity, PolicyRef } from "./compiled.js";
import { cidrIdentities, ReservedIdentity, selectorLabels } from "./identity.js";
import type { PeerRule, Policy, PolicyEndpoint, Selector } from "./model.js";
import { namedPrefixes, selectorKey } from "./policy-memo.js";
import { namesNamespace, selectorMatches } from "./selector.js";
import { getOrAdd } from "./util.js";

export class PeerSelector {
  /** Distinct (identity, selector labels) pairs, all and by namespace. */
  private readonly labelSets: { identity: number; labels: Record<string, string> }[] = [];
  private readonly byNamespace = new Map<string, { identity: number; labels: Record<string, string> }[]>();
  /** Selector results: many rules repeat the same selector. */
  private readonly selected = new Map<string, number[]>();
  private cidrs = NO_CIDRS;
  cidrIds: CidrIdentity[] = [];

  constructor(endpoints: PolicyEndpoint[]) {
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

  /** Makes the CIDR identities of every prefix the policies (sorted) name. */
  useCidrsOf(policies: Policy[]): void {
    const cidrs = cidrSet(policies.map(namedPrefixes));
    this.cidrs = cidrs.index;
    this.cidrIds = cidrs.ids;
  }

  /** Endpoints selectors of a namespaced policy see their own namespace unless they name one (Cilium). */
  select(sel: Selector, ref: PolicyRef, subject: boolean): number[] {
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
  peers(r: PeerRule, ref: PolicyRef): number[] {
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
}

/** CIDR identities and their index for the prefixes of each policy (in policy order). */
interface CidrSet {
  named: string[][];
  ids: CidrIdentity[];
  index: CidrIndex;
}

/** Until useCidrsOf() builds the compilation's own (one instance: building an index records its parses for the next). */
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
