// Rule ids: one per distinct set of origins, numbered in the order of the sets, so the same policies
// give the same ids from one compilation to the next; and what each id says (policies, description).

import type { Origin } from "./compile-model.js";
import type { PolicyRef, RuleInfo } from "./compiled.js";

const PLACEHOLDER: RuleInfo = { ruleId: 0, policies: [], description: "no rule matched (default deny)" };

/** Rule ids for sets of origins: the same policies give the same ids, in the order of the origin sets. */
export class RuleIds {
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

/** Sort key of a policy: kind, namespace, name. */
export function refKey(r: PolicyRef): string {
  return `${r.kind}\u0000${r.namespace}\u0000${r.name}`;
}

function cmpNumbers(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
