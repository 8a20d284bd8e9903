// Numeric security identities from label sets, deterministic on every node: the same labels
// (namespace included) hash to the same number, so no allocator needs to be shared.

import { RESERVED_IDENTITIES } from "@flowlens/flow";

/** Cilium's reserved identities that a node's flows use. */
export const ReservedIdentity = { HOST: RESERVED_IDENTITIES.host, WORLD: RESERVED_IDENTITIES.world } as const;

export const NAMESPACE_LABEL = "io.kubernetes.pod.namespace";

const MIN_IDENTITY = 256; // below: reserved, as in Cilium
const SPAN = 0xffffff - MIN_IDENTITY; // 24-bit space keeps collisions rare (~3% at 1,000 label sets)

/** Labels of an endpoint as "k=v" strings, sorted, namespace label included. */
export function identityLabels(namespace: string, labels: Record<string, string>): string[] {
  const all: Record<string, string> = { ...labels, [NAMESPACE_LABEL]: namespace };
  return Object.keys(all)
    .sort()
    .map((k) => `${k}=${all[k]}`);
}

/** FNV-1a over the sorted labels, folded into [256, 2^24). */
export function identityFor(namespace: string, labels: Record<string, string>): number {
  let h = 0x811c9dc5;
  for (const s of identityLabels(namespace, labels)) {
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    h ^= 0x0a; // separator so ["ab"] and ["a","b"] differ
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return MIN_IDENTITY + (h % SPAN);
}
