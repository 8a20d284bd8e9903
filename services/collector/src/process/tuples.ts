// Side tables keyed by a connection's 4-tuple text, filled from tracepoint records (process
// attribution, retransmits) and read when a flow is built. Bounded: oldest entries go first.

/** Direction-free key so both directions of a connection find the same entry. */
export function tupleKey(a: string, aport: number, b: string, bport: number): string {
  return a < b || (a === b && aport <= bport) ? `${a}|${aport}|${b}|${bport}` : `${b}|${bport}|${a}|${aport}`;
}

export class BoundedTable<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly limit: number) {}

  set(key: string, value: V): void {
    if (this.map.has(key)) this.map.delete(key);
    else if (this.map.size >= this.limit) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
    this.map.set(key, value);
  }
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  get size(): number {
    return this.map.size;
  }
}

export interface ProcessInfo {
  pid: number;
  comm: string;
  cgroupId: number;
}
