// Turns ring-buffer batches into events: dispatches on the record kind, keeps the per-flow
// table, feeds the side tables and pushes flow-worthy events into the live ring. Hot path:
// no per-record allocation beyond the event object itself.

import { DerivedKind, type FlowEntry } from "../flows/entry.js";
import type { LiveRing } from "../flows/ring.js";
import { MATCH_TYPE_LABEL, VerdictCounters } from "../flows/verdict-counters.js";
import { addrToString } from "../net/ip.js";
import { BoundedTable, type ProcessInfo, tupleKey } from "../process/tuples.js";
import { type DecoderHooks, NO_POLICY } from "./decoder-hooks.js";
import { DatapathEvent, PolicyEvent } from "./events.js";
import { ABI_VERSION, FlowEventBit, Layout, Off, PolicyDir, PolicyDropReason, PolicyVerdict, RecordKind } from "./layout.js";
import type { LostEntry } from "./lost.js";

export type RingEntry = FlowEntry | LostEntry;

/** policy_verdicts_total's action label of a record verdict (REDIRECTED is forwarded at L3/L4). */
const ACTION: Record<number, string> = {
  [PolicyVerdict.FORWARDED]: "forwarded",
  [PolicyVerdict.REDIRECTED]: "forwarded",
  [PolicyVerdict.DROPPED]: "dropped",
  [PolicyVerdict.AUDIT]: "audit",
};

const TCP_SYN_SENT = 2;

/** Drop reasons of a policy decision; any other reason in a policy record is a packet tc could not
 * decide on (unreadable, or a fragment without its first), which Cilium reports as a drop only. */
const POLICY_REASONS = new Set<number>([PolicyDropReason.POLICY_DENIED, PolicyDropReason.POLICY_DENY]);

/** Smallest valid length of each record kind: a shorter one would be read past its end. */
const RECORD_SIZE: Record<number, number> = {
  [RecordKind.FLOW]: Layout.fl_flow_record.size,
  [RecordKind.DROP]: Layout.fl_drop_record.size,
  [RecordKind.SOCK]: Layout.fl_sock_record.size,
  [RecordKind.RETRANS]: Layout.fl_retrans_record.size,
  [RecordKind.POLICY]: Layout.fl_policy_record.size,
};

export class RecordDecoder {
  readonly processes = new BoundedTable<ProcessInfo>(65536);
  /** connect() in progress: the source port is not chosen yet, so keyed by local|remote|rport. */
  readonly connecting = new BoundedTable<ProcessInfo>(16384);
  readonly retransmits = new BoundedTable<number>(65536);
  readonly counts = {
    records: 0,
    flows: 0,
    drops: 0,
    sock: 0,
    retrans: 0,
    policy: 0,
    /** Kernel drop records of packets our tc programs dropped for policy (not shown twice). */
    policyKernelDrops: 0,
    malformed: 0,
    flowsStarted: 0,
    flowsEnded: 0,
  };
  /** policy_verdicts_total and drop_total. */
  readonly verdicts = new VerdictCounters();

  constructor(
    private readonly ring: LiveRing<RingEntry>,
    private readonly hooks: DecoderHooks = NO_POLICY,
  ) {}

  /** Decodes `count` records of `buf` starting at `offsets[i]`; wakes followers once. */
  decodeBatch(buf: Buffer, offsets: Uint32Array, count: number): void {
    for (let i = 0; i < count; i++) this.decodeOne(buf, offsets[i]);
    this.ring.notify();
  }

  decodeOne(buf: Buffer, off: number): void {
    this.counts.records++;
    if (off + 16 > buf.length) {
      this.counts.malformed++;
      return;
    }
    const kind = buf.readUInt16LE(off);
    const version = buf.readUInt16LE(off + 2);
    const len = buf.readUInt32LE(off + Off.len);
    if (version !== ABI_VERSION || off + len > buf.length || len < (RECORD_SIZE[kind] ?? 0)) {
      this.counts.malformed++;
      return;
    }
    const ts = buf.readUInt32LE(off + Off.ts + 4) * 4294967296 + buf.readUInt32LE(off + Off.ts);
    switch (kind) {
      case RecordKind.FLOW:
        this.flowRecord(buf, off, ts);
        break;
      case RecordKind.DROP: {
        this.counts.drops++;
        const reason = buf.readUInt32LE(off + Off.dropReason);
        // Our own tc policy drops: the policy record already reports them (with the reason why).
        if (this.hooks.isPolicyDrop(reason, buf.readUInt32LE(off + Off.ifindex))) {
          this.counts.policyKernelDrops++;
          break;
        }
        this.verdicts.kernelDrop(reason, buf[off + Off.proto]);
        this.ring.push(new DatapathEvent(kind, buf, off, ts), ts);
        break;
      }
      case RecordKind.POLICY:
        this.policyRecord(buf, off, ts);
        break;
      case RecordKind.SOCK:
        this.sockRecord(buf, off);
        break;
      case RecordKind.RETRANS:
        this.retransRecord(buf, off);
        break;
      default:
        this.counts.malformed++;
    }
  }

  private flowRecord(buf: Buffer, off: number, ts: number): void {
    this.counts.flows++;
    // The kernel keeps the per-flow state (fl_flows); here only what the collector reports.
    const events = buf.readUInt16LE(off + Off.events);
    if (events & FlowEventBit.NEW) this.counts.flowsStarted++;
    if (events & FlowEventBit.END) this.counts.flowsEnded++;
    this.ring.push(new DatapathEvent(RecordKind.FLOW, buf, off, ts), ts);
  }

  /** A decision: its policy-verdict flow and, when it dropped, the drop flow Cilium also sends. */
  private policyRecord(buf: Buffer, off: number, ts: number): void {
    this.counts.policy++;
    const rules = this.hooks.rulesAt(ts);
    const verdict = buf[off + Off.polVerdict];
    const reason = buf.readUInt16LE(off + Off.polDropReason);
    if (verdict === PolicyVerdict.DROPPED && !POLICY_REASONS.has(reason)) {
      this.verdicts.drop(reason, buf[off + Off.proto]);
      this.ring.push(new PolicyEvent(DerivedKind.POLICY_DROP, buf, off, ts, rules), ts);
      return;
    }
    this.ring.push(new PolicyEvent(RecordKind.POLICY, buf, off, ts, rules), ts);
    const direction = buf[off + Off.polDirection] === PolicyDir.INGRESS ? "ingress" : "egress";
    this.verdicts.verdict(direction, MATCH_TYPE_LABEL[buf[off + Off.polMatchType]] ?? "none", ACTION[verdict] ?? "forwarded");
    if (verdict === PolicyVerdict.DROPPED) {
      this.verdicts.drop(reason, buf[off + Off.proto]);
      this.ring.push(new PolicyEvent(DerivedKind.POLICY_DROP, buf, off, ts, rules), ts);
    }
  }

  private tuple(buf: Buffer, off: number): string {
    const v = buf[off + Off.ipVersion];
    const s = addrToString(buf, off + Off.saddr, v);
    const d = addrToString(buf, off + Off.daddr, v);
    return tupleKey(s, buf.readUInt16LE(off + Off.sport), d, buf.readUInt16LE(off + Off.dport));
  }

  /**
   * Process attribution. Only CLOSE -> SYN_SENT runs in the connecting process's context, and
   * there the source port is still 0 (tcp_v4_connect picks it after the state change); the
   * next transition out of SYN_SENT carries the full tuple and moves the entry under it.
   */
  private sockRecord(buf: Buffer, off: number): void {
    this.counts.sock++;
    const newState = buf.readUInt16LE(off + Off.sockNewState);
    if (newState !== TCP_SYN_SENT && buf.readUInt16LE(off + Off.sockOldState) !== TCP_SYN_SENT) return; // nothing to learn
    const v = buf[off + Off.ipVersion];
    const local = addrToString(buf, off + Off.saddr, v);
    const remote = addrToString(buf, off + Off.daddr, v);
    const rport = buf.readUInt16LE(off + Off.dport);
    const pendingKey = `${local}|${remote}|${rport}`;
    if (newState === TCP_SYN_SENT) {
      const commRaw = buf.subarray(off + Off.sockComm, off + Off.sockComm + 16);
      const nul = commRaw.indexOf(0);
      const info = {
        pid: buf.readUInt32LE(off + Off.sockPid),
        comm: commRaw.toString("latin1", 0, nul < 0 ? 16 : nul),
        cgroupId: buf.readUInt32LE(off + Off.sockCgroup + 4) * 4294967296 + buf.readUInt32LE(off + Off.sockCgroup),
      };
      this.connecting.set(pendingKey, info);
      const lport = buf.readUInt16LE(off + Off.sport);
      if (lport !== 0) this.processes.set(tupleKey(local, lport, remote, rport), info);
      return;
    }
    const info = this.connecting.get(pendingKey);
    if (info) this.processes.set(this.tuple(buf, off), info);
  }

  /** The process behind a connection, if its connect() was seen. */
  processOf(key: string, src: string, dst: string, sport: number, dport: number): ProcessInfo | undefined {
    return this.processes.get(key) ?? this.connecting.get(`${src}|${dst}|${dport}`) ?? this.connecting.get(`${dst}|${src}|${sport}`);
  }

  private retransRecord(buf: Buffer, off: number): void {
    this.counts.retrans++;
    const k = this.tuple(buf, off);
    this.retransmits.set(k, (this.retransmits.get(k) ?? 0) + 1);
  }
}
