// The privileged control plane's contract: where the collector serves calls that change the node,
// and which calls those are (everything else is read-only and may be served on TCP).

/** Default root-only unix socket of a collector's mutating Policies and Endpoints calls. */
export const DEFAULT_ADMIN_SOCKET = "/run/flowlens/admin.sock";

/** Methods that change policy or endpoints, by service: admin socket or an allow-listed mTLS client only. */
export const MUTATING_METHODS = {
  Policies: ["Apply", "Delete"],
  Endpoints: ["AddEndpoint", "DeleteEndpoint"],
} as const;
