// Numeric security identities from label sets, deterministic on every node: the same labels
// (namespace included) hash to the same number, so no allocator needs to be shared. The hash is
// @flowlens/policy's, the one the policy compiler and trace use (docs/policy.md, "Identities").

import { RESERVED_IDENTITIES } from "@flowlens/flow";

export { endpointIdentity as identityFor, identityLabels } from "@flowlens/policy";

/** Cilium's reserved identities that a node's flows use. */
export const ReservedIdentity = { HOST: RESERVED_IDENTITIES.host, WORLD: RESERVED_IDENTITIES.world } as const;
