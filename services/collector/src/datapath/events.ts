// The decoded form of one ring-buffer record: a view onto the batch buffer plus the few fields
// the hot path needs. Everything else is read lazily when a flow is built for a client.
import type { RuleTable } from "../flows/rule-table.js";
import { Off } from "./layout.js";

export class DatapathEvent {
  /** Wire encoding, made on first use and shared by every client (flows/flow-view.ts). */
  encoded: unknown = undefined;
  /** Flow object decoded from `encoded`, only for clients that filter. */
  built: unknown = undefined;
  constructor(
    readonly kind: number,
    readonly buf: Buffer,
    readonly off: number,
    /** CLOCK_MONOTONIC nanoseconds (double: ns precision for ~100 days of uptime, µs after). */
    readonly tsNs: number,
  ) {}

  u8(rel: number): number {
    return this.buf[this.off + rel];
  }
  u16(rel: number): number {
    return this.buf.readUInt16LE(this.off + rel);
  }
  u32(rel: number): number {
    return this.buf.readUInt32LE(this.off + rel);
  }
  /** u64 as a double; exact below 2^53. */
  u64(rel: number): number {
    const o = this.off + rel;
    return this.buf.readUInt32LE(o + 4) * 4294967296 + this.buf.readUInt32LE(o);
  }
  bytes(rel: number, n: number): Buffer {
    return this.buf.subarray(this.off + rel, this.off + rel + n);
  }

  get ifindex(): number {
    return this.u32(Off.ifindex);
  }
  get proto(): number {
    return this.u8(Off.proto);
  }
  get ipVersion(): number {
    return this.u8(Off.ipVersion);
  }
  get tcDir(): number {
    return this.u8(Off.tcDir);
  }
  get sport(): number {
    return this.u16(Off.sport);
  }
  get dport(): number {
    return this.u16(Off.dport);
  }
}

/** A decoded policy record: the drop view (kind DerivedKind.POLICY_DROP) shares the same bytes. */
export class PolicyEvent extends DatapathEvent {
  constructor(
    kind: number,
    buf: Buffer,
    off: number,
    tsNs: number,
    /** Rule ids of this record mean what this table says. */
    readonly rules: RuleTable,
  ) {
    super(kind, buf, off, tsNs);
  }
}
