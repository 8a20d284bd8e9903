// A ring entry saying events were lost, and where (Hubble's LostEventSource names).

export const LostSource = {
  /** Kernel ring buffer full: bpf_ringbuf_reserve failed. */
  KERNEL_RING: 1,
  /** The collector's own queue (unused until there is one besides the ring). */
  EVENTS_QUEUE: 2,
  /** The live ring overwrote entries before a reader got to them. */
  LIVE_RING: 3,
  /** The L7 proxy dropped request events while the collector was not reading them. */
  L7_PROXY: 4,
} as const;

export class LostEntry {
  readonly kind = 0;
  constructor(
    readonly source: number,
    readonly count: number,
    readonly tsNs: number,
  ) {}
}
