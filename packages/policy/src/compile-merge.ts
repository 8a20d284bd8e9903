// Merging: one entry per map key of each (subject, direction, peer) space. Deny beats allow at a key
// and over every longer allow of the same space; an enforced deny around an audited one decides.
import type { Merged, Origin, Space } from "./compile-model.js";
import { covered } from "./compile-model.js";
import type { RuleIds } from "./compile-rule-ids.js";
import type { Direction } from "./compiled.js";

/** Every space's merged keys, in entry order. */
export function mergeSpaces(spaces: Record<Direction, Map<number, Map<number, Space>>>, origins: Origin[], ids: RuleIds): Merged[] {
  const out: Merged[] = [];
  for (const bySubject of [spaces.ingress, spaces.egress]) {
    for (const bySpace of bySubject.values()) {
      for (const space of bySpace.values()) mergeSpace(space, origins, ids, out);
    }
  }
  return out.sort((x, y) => cmpMerged(x, y));
}

function mergeSpace(space: Space, origins: Origin[], ids: RuleIds, out: Merged[]): void {
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
      const from = [...(acc.allow ?? []), ...(acc.l7 ?? []), ...(acc.implicit ?? [])];
      const audit = from.every((o) => origins[o].audit);
      const l7 = (acc.l7?.length ?? 0) > 0;
      out.push({ space, acc, action: "allow", audit, l7, rule: ids.add(from), plain: (acc.allow?.length ?? 0) > 0 });
    }
  }
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
