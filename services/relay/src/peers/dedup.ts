// Bounded set of the flow uuids seen from one node: after a reconnect the relay asks again from a
// little before the last flow it saw, and this drops what it already had. Oldest uuids are forgotten first.

export class SeenUuids {
  private readonly set = new Set<string>();
  private readonly order: string[];
  private next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`dedup capacity must be a positive integer, got ${capacity}`);
    this.order = new Array(capacity);
  }

  /** true when uuid is new (and remembers it), false when it was seen and is still remembered. */
  add(uuid: string): boolean {
    if (this.set.has(uuid)) return false;
    const slot = this.next % this.capacity;
    if (this.next >= this.capacity) this.set.delete(this.order[slot]);
    this.order[slot] = uuid;
    this.set.add(uuid);
    this.next++;
    return true;
  }

  has(uuid: string): boolean {
    return this.set.has(uuid);
  }

  get size(): number {
    return this.set.size;
  }
}
