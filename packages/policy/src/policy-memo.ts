// What the compiler derives from one policy alone (named prefixes, rule descriptions, selector
// keys), kept per Policy object. A parsed policy is never changed, and the collector's store keeps
// its policies across compilations, so an apply recompiles the whole set without redoing this.

import type { Policy, Selector } from "./model.js";

const prefixes = new WeakMap<Policy, string[]>();
const texts = new WeakMap<Policy, string[][]>();
const selectorKeys = new WeakMap<Selector, string>();

/** Every prefix the policy names (CIDRs and their excepts), in rule order. */
export function namedPrefixes(p: Policy): string[] {
  let out = prefixes.get(p);
  if (!out) {
    out = [];
    for (const r of p.rules) {
      for (const list of [r.ingress, r.ingressDeny, r.egress, r.egressDeny]) {
        for (const pr of list) for (const c of pr.cidrs ?? []) out.push(c.cidr, ...c.except);
      }
    }
    prefixes.set(p, out);
  }
  return out;
}

/** A description of part of the policy, made once: `group` and `slot` name the part (the caller's numbering). */
export function policyText(p: Policy, group: number, slot: number, make: () => string): string {
  let groups = texts.get(p);
  if (!groups) {
    groups = [];
    texts.set(p, groups);
  }
  groups[group] ??= [];
  const g = groups[group];
  g[slot] ??= make();
  return g[slot];
}

/** The selector as text, for memoizing its matches. */
export function selectorKey(sel: Selector): string {
  let k = selectorKeys.get(sel);
  if (k === undefined) {
    k = JSON.stringify(sel);
    selectorKeys.set(sel, k);
  }
  return k;
}
