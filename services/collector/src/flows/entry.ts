// What the live ring holds besides loss markers: entries that become one flow each. Kernel records
// are DatapathEvents; a policy drop is read twice (its verdict and its drop), and L7 requests come
// from the proxy, not the kernel: those get kinds of their own, outside the ABI's record kinds.

export interface FlowEntry {
  readonly kind: number;
  /** CLOCK_MONOTONIC ns. */
  readonly tsNs: number;
  /** Wire encoding, made on first use (flows/flow-view.ts). */
  encoded: unknown;
  /** Flow object decoded from `encoded`, only for clients that filter. */
  built: unknown;
}

/** Entry kinds that are not kernel record kinds (those are < 256). */
export const DerivedKind = {
  /** The drop event (Cilium's drop notification) of a DROPPED policy record. */
  POLICY_DROP: 0x105,
  /** An HTTP request or response checked by the L7 proxy. */
  L7: 0x181,
} as const;
