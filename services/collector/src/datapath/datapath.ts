// Owns the kernel side: loads flowlens.bpf.o, attaches tc to interfaces and the tracepoints,
// drains the ring buffer into the decoder, reads the loss counters and sweeps idle flows.
import { existsSync } from "node:fs";
import { type BpfMap, BpfObject, type Link, RingBufferReader } from "libbpf-ts";
import { monoNowNs } from "../clock/monotonic.js";
import { addrToKey } from "../net/ip.js";
import type { RecordDecoder } from "./decoder.js";
import { ABI_VERSION, FlowEventBit, Layout, RecordKind, Stat } from "./layout.js";
import { LostEntry, LostSource } from "./lost.js";
import { BatchQueue } from "./batch-queue.js";
import { ensureMounts } from "./mounts.js";

export interface DatapathOptions {
  objectPath: string;
  ringBytes: number;
  flowMapEntries: number;
  reportIntervalMs: number;
  wakeupThresholdBytes: number;
  /** User-space drain period: records submitted without a wakeup wait at most this long. */
  drainIntervalMs: number;
  flowIdleTimeoutMs: number;
  sweepIntervalMs: number;
}

export const defaultDatapathOptions = {
  ringBytes: 4 * 1024 * 1024,
  flowMapEntries: 65536,
  reportIntervalMs: 5000,
  wakeupThresholdBytes: 64 * 1024,
  drainIntervalMs: 50,
  flowIdleTimeoutMs: 15000,
  sweepIntervalMs: 2000,
} satisfies Omit<DatapathOptions, "objectPath">;

export type DatapathStats = { ringbufFull: number; flowMapFull: number; packets: number; records: number; parseErrors: number };

const TRACEPOINTS: [prog: string, category: string, name: string][] = [
  ["fl_sock_state", "sock", "inet_sock_set_state"],
  ["fl_kfree_skb", "skb", "kfree_skb"],
  ["fl_tcp_retransmit", "tcp", "tcp_retransmit_skb"],
];

export class Datapath {
  private readonly links = new Map<number, Link[]>();
  private readonly tpLinks: Link[] = [];
  private readonly reader: RingBufferReader;
  private readonly queue: BatchQueue;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly flowsMap: BpfMap;
  private readonly statsMap: BpfMap;
  private readonly ipsMap: BpfMap;
  private lastRingbufFull = 0;
  private closed = false;

  private constructor(
    private readonly obj: BpfObject,
    private readonly opts: DatapathOptions,
    decoder: RecordDecoder,
    private readonly pushLost: (e: LostEntry) => void,
    private readonly log: (msg: string) => void,
  ) {
    this.flowsMap = obj.map("fl_flows");
    this.statsMap = obj.map("fl_stats");
    this.ipsMap = obj.map("fl_endpoint_ips");
    for (const [prog, cat, name] of TRACEPOINTS) this.tpLinks.push(obj.program(prog).attachTracepoint(cat, name));
    this.queue = new BatchQueue(decoder, (n) => pushLost(new LostEntry(LostSource.EVENTS_QUEUE, n, monoNowNs())));
    this.reader = new RingBufferReader(obj.map("fl_events"), (data, offsets, count) => this.queue.push(data, offsets, count));
    this.timers.push(setInterval(() => this.reader.consume(), opts.drainIntervalMs));
    this.timers.push(setInterval(() => this.checkLosses(), 1000));
    this.timers.push(setInterval(() => this.sweep(), opts.sweepIntervalMs));
    for (const t of this.timers) t.unref();
  }

  static open(opts: DatapathOptions, decoder: RecordDecoder, pushLost: (e: LostEntry) => void, log: (msg: string) => void): Datapath {
    if (!existsSync(opts.objectPath)) throw new Error(`BPF object ${opts.objectPath} not found — build it first (make -C bpf)`);
    ensureMounts();
    const obj = BpfObject.open(opts.objectPath);
    try {
      const cfg = Buffer.alloc(Layout.fl_config.size);
      cfg.writeBigUInt64LE(BigInt(opts.reportIntervalMs) * 1_000_000n, Layout.fl_config.fields.report_interval_ns);
      cfg.writeUInt32LE(opts.wakeupThresholdBytes, Layout.fl_config.fields.wakeup_threshold_bytes);
      obj.setRodata("fl_cfg", cfg);
      obj.setMapMaxEntries("fl_events", opts.ringBytes);
      obj.setMapMaxEntries("fl_flows", opts.flowMapEntries);
      obj.load();
      return new Datapath(obj, opts, decoder, pushLost, log);
    } catch (e) {
      obj.close();
      throw e;
    }
  }

  attachInterface(ifindex: number, ifname: string): void {
    if (this.links.has(ifindex)) return;
    const ing = this.obj.program("fl_tc_ingress").attachTc(ifindex, "ingress", { ifname });
    try {
      const eg = this.obj.program("fl_tc_egress").attachTc(ifindex, "egress", { ifname });
      this.links.set(ifindex, [ing, eg]);
    } catch (e) {
      ing.close();
      throw e;
    }
  }

  detachInterface(ifindex: number): void {
    for (const l of this.links.get(ifindex) ?? []) {
      try {
        l.close();
      } catch {
        // The interface may be gone already, and its filters with it.
      }
    }
    this.links.delete(ifindex);
  }

  attachedInterfaces(): number[] {
    return [...this.links.keys()];
  }

  setEndpointIp(ip: string, endpointId: number): void {
    const v = Buffer.alloc(4);
    v.writeUInt32LE(endpointId);
    this.ipsMap.update(addrToKey(ip), v);
  }

  deleteEndpointIp(ip: string): void {
    this.ipsMap.delete(addrToKey(ip));
  }

  stats(): DatapathStats {
    const sum = (i: number) => {
      const k = Buffer.alloc(4);
      k.writeUInt32LE(i);
      const v = this.statsMap.lookup(k);
      if (!v) return 0;
      let total = 0;
      for (let o = 0; o + 8 <= v.length; o += 8) total += Number(v.readBigUInt64LE(o));
      return total;
    };
    return {
      ringbufFull: sum(Stat.RINGBUF_FULL),
      flowMapFull: sum(Stat.FLOW_MAP_FULL),
      packets: sum(Stat.PACKETS),
      records: sum(Stat.RECORDS),
      parseErrors: sum(Stat.PARSE_ERRORS),
    };
  }

  /** Drains the ring buffer and decodes everything now (tests and shutdown). */
  drain(): number {
    const n = this.reader.consume();
    this.queue.flush();
    return n;
  }

  private checkLosses(): void {
    const full = this.stats().ringbufFull;
    if (full > this.lastRingbufFull) {
      this.pushLost(new LostEntry(LostSource.KERNEL_RING, full - this.lastRingbufFull, monoNowNs()));
      this.lastRingbufFull = full;
    }
  }

  /**
   * Ends flows that went idle: an END record with the final counters goes through the decoder
   * like a kernel record, and the map entry is deleted. Entries that already saw FIN/RST (the
   * kernel reported their end) are deleted quietly. A packet racing the delete starts a new flow.
   */
  sweep(idleTimeoutMs = this.opts.flowIdleTimeoutMs): number {
    const now = monoNowNs();
    const idleNs = idleTimeoutMs * 1e6;
    const keySize = Layout.fl_flow_key.size;
    const statsSize = Layout.fl_flow_stats.size;
    const S = Layout.fl_flow_stats.fields;
    let ended = 0;
    const stale: Buffer[] = [];
    const records: Buffer[] = [];
    for (const [key, val] of this.flowsMap.entries()) {
      const last = val.readUInt32LE(S.last_ns + 4) * 4294967296 + val.readUInt32LE(S.last_ns);
      if (val[S.ended] === 1 && now - last > 2e9) stale.push(key);
      else if (now - last > idleNs) {
        stale.push(key);
        const rec = Buffer.alloc(Layout.fl_flow_record.size);
        rec.writeUInt16LE(RecordKind.FLOW, 0);
        rec.writeUInt16LE(ABI_VERSION, 2);
        rec.writeUInt32LE(rec.length, 4);
        rec.writeBigUInt64LE(BigInt(Math.round(now)), 8);
        key.copy(rec, Layout.fl_flow_record.fields.key, 0, keySize);
        rec.writeUInt16LE(FlowEventBit.END, Layout.fl_flow_record.fields.events);
        val.copy(rec, Layout.fl_flow_record.fields.stats, 0, statsSize);
        records.push(rec);
      }
    }
    for (const k of stale) this.flowsMap.delete(k);
    if (records.length) {
      const buf = Buffer.concat(records);
      const offsets = new Uint32Array(records.length).map((_, i) => i * Layout.fl_flow_record.size);
      this.queue.push(buf, offsets, records.length);
      ended = records.length;
    }
    return ended;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    try {
      this.drain();
    } catch {
      // closing anyway
    }
    this.reader.close();
    for (const ifindex of [...this.links.keys()]) this.detachInterface(ifindex);
    for (const l of this.tpLinks) l.close();
    this.obj.close();
    this.log("datapath detached");
  }
}
