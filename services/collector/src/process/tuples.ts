// Side tables keyed by a connection's 4-tuple text, filled from tracepoint records (process
// attribution, retransmits) and read when a flow is built. Bounded: oldest entries go first.

/** Direction-free key so both directions of a connection find the same entry. */
export function tupleKey(a: string, aport: number, b: string, bport: number): string {
  return a < b || (a === b && aport <= bport) ? `${a}|${aport}|${b}|${bport}` : `${b}|${bport}|${a}|${aport}`;
}

/**
 * A map that forgets its oldest entries: two generations of at most `limit / 2` entries; when the
 * young one fills up, the old one is dropped. O(1) per operation (evicting one key at a time from
 * a Map walks the holes deletes leave behind).
 */
export class BoundedTable<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private readonly half: number;

  constructor(limit: number) {
    this.half = Math.max(1, Math.floor(limit / 2));
  }

  set(key: string, value: V): void {
    if (this.young.size >= this.half && !this.young.has(key)) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  get(key: string): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) this.set(key, o); // still in use: keep it young
    return o;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}

export interface ProcessInfo {
  pid: number;
  comm: string;
  cgroupId: number;
}
