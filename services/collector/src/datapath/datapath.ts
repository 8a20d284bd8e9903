// Owns the kernel side: loads flowlens.bpf.o, attaches tc to interfaces and the tracepoints,
// drains the ring buffer into the decoder, reads the loss counters and sweeps idle flows.
import { existsSync } from "node:fs";
import { type BpfMap, BpfObject, type Link, RingBufferReader } from "libbpf-ts";
import { monoNowNs } from "../clock/monotonic.js";
import { addrToKey } from "../net/ip.js";
import { BatchQueue } from "./batch-queue.js";
import type { RecordDecoder } from "./decoder.js";
import { ABI_VERSION, FlowEventBit, Layout, RecordKind, Stat } from "./layout.js";
import { LostEntry, LostSource } from "./lost.js";
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
    hold: () => boolean,
  ) {
    this.flowsMap = obj.map("fl_flows");
    this.statsMap = obj.map("fl_stats");
    this.ipsMap = obj.map("fl_endpoint_ips");
    for (const [prog, cat, name] of TRACEPOINTS) this.tpLinks.push(obj.program(prog).attachTracepoint(cat, name));
    this.queue = new BatchQueue(
      decoder,
      (n) => pushLost(new LostEntry(LostSource.EVENTS_QUEUE, n, monoNowNs())),
      1024,
      262144,
      hold,
      (e) => {
        this.errors++;
        log(`decode: ${e.message}`);
      },
    );
    this.reader = new RingBufferReader(obj.map("fl_events"), (data, offsets, count) => this.queue.push(data, offsets, count));
    this.timers.push(setInterval(() => this.guard("drain ring buffer", () => this.reader.consume()), opts.drainIntervalMs));
    this.timers.push(setInterval(() => this.guard("read loss counters", () => this.checkLosses()), 1000));
    this.timers.push(setInterval(() => this.guard("sweep idle flows", () => this.sweep()), opts.sweepIntervalMs));
    for (const t of this.timers) t.unref();
  }

  /** `hold`: asked before each decode slice; true makes decoding wait (see DecodeBackpressure). */
  static open(
    opts: DatapathOptions,
    decoder: RecordDecoder,
    pushLost: (e: LostEntry) => void,
    log: (msg: string) => void,
    hold: () => boolean = () => false,
  ): Datapath {
    if (!existsSync(opts.objectPath)) throw new Error(`BPF object ${opts.objectPath} not found — build it first (make -C bpf)`);
    ensureMounts();
    const obj = BpfObject.open(opts.objectPath);
    try {
      const cfg = Buffer.alloc(Layout.fl_config.size);
      cfg.writeBigUInt64LE(BigInt(opts.reportIntervalMs) * 1_000_000n, Layout.fl_config.fields.report_interval_ns);
      // A small ring must wake the reader before it is full, not only on the drain timer.
      const threshold = Math.min(opts.wakeupThresholdBytes, Math.floor(opts.ringBytes / 4));
      cfg.writeUInt32LE(threshold, Layout.fl_config.fields.wakeup_threshold_bytes);
      obj.setRodata("fl_cfg", cfg);
      obj.setMapMaxEntries("fl_events", opts.ringBytes);
      obj.setMapMaxEntries("fl_flows", opts.flowMapEntries);
      obj.load();
      return new Datapath(obj, opts, decoder, pushLost, log, hold);
    } catch (e) {
      obj.close();
      throw e;
    }
  }

  /** Runs periodic work; a failure is logged and counted, never fatal to the daemon. */
  private guard(what: string, fn: () => unknown): void {
    try {
      fn();
    } catch (e) {
      this.errors++;
      this.log(`${what}: ${(e as Error).message}`);
    }
  }

  /** Failures of periodic work since start. */
  errors = 0;
  /** Entries left in fl_flows after the last sweep. */
  activeFlows = 0;

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
    // Records still in the kernel ring are older than the END records made here: take them
    // first, so the live ring stays in time order.
    this.reader.consume();
    const now = monoNowNs();
    const idleNs = idleTimeoutMs * 1e6;
    const keySize = Layout.fl_flow_key.size;
    const statsSize = Layout.fl_flow_stats.size;
    const recSize = Layout.fl_flow_record.size;
    const S = Layout.fl_flow_stats.fields;
    const stale: Buffer[] = [];
    const ending: [key: Buffer, val: Buffer][] = [];
    let entries = 0;
    for (const [key, val] of this.flowEntries()) {
      entries++;
      const last = val.readUInt32LE(S.last_ns + 4) * 4294967296 + val.readUInt32LE(S.last_ns);
      if (val[S.ended] === 1 && now - last > 2e9) stale.push(key);
      else if (now - last > idleNs) {
        stale.push(key);
        ending.push([key, val]);
      }
    }
    for (const k of stale) this.flowsMap.delete(k);
    this.activeFlows = entries - stale.length;
    if (ending.length === 0) return 0;
    // One buffer of END records, laid out as the kernel would have written them.
    const buf = Buffer.alloc(ending.length * recSize);
    const offsets = new Uint32Array(ending.length + 1);
    const ts = BigInt(Math.round(now));
    ending.forEach(([key, val], i) => {
      const o = i * recSize;
      offsets[i] = o;
      buf.writeUInt16LE(RecordKind.FLOW, o);
      buf.writeUInt16LE(ABI_VERSION, o + 2);
      buf.writeUInt32LE(recSize, o + 4);
      buf.writeBigUInt64LE(ts, o + 8);
      key.copy(buf, o + Layout.fl_flow_record.fields.key, 0, keySize);
      buf.writeUInt16LE(FlowEventBit.END, o + Layout.fl_flow_record.fields.events);
      val.copy(buf, o + Layout.fl_flow_record.fields.stats, 0, statsSize);
    });
    offsets[ending.length] = buf.length;
    this.queue.push(buf, offsets, ending.length);
    return ending.length;
  }

  /** Every fl_flows entry: one batch syscall per chunk where the kernel supports it. */
  private *flowEntries(): Generator<[Buffer, Buffer]> {
    const batch = this.flowsMap.lookupBatch();
    if (batch === undefined) {
      yield* this.flowsMap.entries();
      return;
    }
    const k = this.flowsMap.keySize;
    const v = this.flowsMap.valueSize;
    for (let i = 0; i < batch.count; i++) yield [batch.keys.subarray(i * k, (i + 1) * k), batch.values.subarray(i * v, (i + 1) * v)];
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
