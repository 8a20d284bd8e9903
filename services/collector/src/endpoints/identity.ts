// Numeric security identities from label sets, deterministic on every node: the same labels
// (namespace included) hash to the same number, so no allocator needs to be shared. The hash is
// @flowlens/policy's, the one the policy compiler and trace use.

import { RESERVED_IDENTITIES } from "@flowlens/flow";
import { endpointIdentity, identityLabels as policyIdentityLabels } from "@flowlens/policy";

/** Cilium's reserved identities that a node's flows use. */
export const ReservedIdentity = { HOST: RESERVED_IDENTITIES.host, WORLD: RESERVED_IDENTITIES.world } as const;

export const NAMESPACE_LABEL = "io.kubernetes.pod.namespace";

/** Labels of an endpoint as "k=v" strings, sorted, namespace label included. */
export function identityLabels(namespace: string, labels: Record<string, string>): string[] {
  return policyIdentityLabels(namespace, labels);
}

/** The identity of a label set, in [65536, 2^31) (docs/policy.md, "Identities"). */
export function identityFor(namespace: string, labels: Record<string, string>): number {
  return endpointIdentity(namespace, labels);
}
