// What a verdict record's rule id means: the policies behind it, as flow.Policy shows them. Rule
// ids are only meaningful within one compilation, so every installed compilation is kept with the
// time it took effect, and a record is read against the table that was in force when it happened.

/** A policy as Hubble's flow.Policy names it. */
export interface FlowPolicyRef {
  name: string;
  namespace: string;
  kind: string;
  /** Cilium's derived labels: derived-from, name, namespace (k8s: source prefix). */
  labels: string[];
  revision: number;
}

export class RuleTable {
  constructor(
    /** CLOCK_MONOTONIC ns from which the kernel maps held this compilation. */
    readonly sinceNs: number,
    private readonly policies: readonly (readonly FlowPolicyRef[])[],
    private readonly descriptions: readonly string[],
  ) {}

  static readonly EMPTY = new RuleTable(0, [], []);

  /** The policies whose rules produced `ruleId`; [] for 0 (no rule: default deny) or an unknown id. */
  policiesOf(ruleId: number): readonly FlowPolicyRef[] {
    return (ruleId > 0 && this.policies[ruleId]) || [];
  }

  description(ruleId: number): string {
    return this.descriptions[ruleId] ?? "";
  }
}

/** Cilium's labels on a policy in flows ("k8s:io.cilium.k8s.policy.name=..."). */
export function derivedLabels(name: string, namespace: string, kind: string): string[] {
  const labels = [`k8s:io.cilium.k8s.policy.derived-from=${kind}`, `k8s:io.cilium.k8s.policy.name=${name}`];
  if (namespace) labels.push(`k8s:io.cilium.k8s.policy.namespace=${namespace}`);
  return labels;
}

/** The last `limit` tables, newest last. */
export class RuleHistory {
  private readonly tables: RuleTable[] = [RuleTable.EMPTY];

  constructor(private readonly limit = 64) {}

  push(t: RuleTable): void {
    this.tables.push(t);
    if (this.tables.length > this.limit) this.tables.splice(0, this.tables.length - this.limit);
  }

  get current(): RuleTable {
    return this.tables[this.tables.length - 1];
  }

  /** The table in force at `tsNs` (the oldest one kept when older). */
  at(tsNs: number): RuleTable {
    for (let i = this.tables.length - 1; i > 0; i--) if (this.tables[i].sinceNs <= tsNs) return this.tables[i];
    return this.tables[0];
  }
}
