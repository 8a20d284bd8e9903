// The relay's live ring: the last N entries of the merged stream (flows, lost events, node status),
// oldest overwritten; readers hold sequence numbers and learn how many entries they missed.
import type { LostEventSource, NodeState } from "@flowlens/proto";
import type { RelayFlow } from "./relay-flow.js";

export interface LostItem {
  kind: "lost";
  node: string;
  source: LostEventSource;
  count: number;
  timeNs: number;
}

export interface StatusItem {
  kind: "status";
  state: NodeState;
  nodes: string[];
  message: string;
  timeNs: number;
}

export type RingItem = RelayFlow | LostItem | StatusItem;

export class RelayRing {
  private readonly slots: (RingItem | undefined)[];
  private head = 0;
  private readonly listeners = new Set<() => void>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`ring capacity must be a positive integer, got ${capacity}`);
    this.slots = new Array(capacity);
  }

  get written(): number {
    return this.head;
  }
  get size(): number {
    return Math.min(this.head, this.capacity);
  }
  get oldest(): number {
    return Math.max(0, this.head - this.capacity);
  }

  push(item: RingItem): void {
    this.slots[this.head % this.capacity] = item;
    this.head++;
  }

  get(seq: number): RingItem | undefined {
    if (seq < this.oldest || seq >= this.head) return undefined;
    return this.slots[seq % this.capacity];
  }

  /** Wake followers; once per batch. */
  notify(): void {
    for (const l of this.listeners) l();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
