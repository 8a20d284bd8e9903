// Owns the kernel side: loads flowlens.bpf.o with its maps pinned under the pin path, attaches tc
// to interfaces (endpoint filters stay when the collector exits), the socket hooks and the
// tracepoints, drains the ring buffer into the decoder, reads the loss counters and sweeps idle
// flows and policy connection-tracking entries.
import { existsSync } from "node:fs";
import { type BpfMap, BpfObject, type BpfProgram, Link, RingBufferReader } from "libbpf-ts";
import { monoNowNs } from "../clock/monotonic.js";
import { addrToKey } from "../net/ip.js";
import { defaultCtTimeouts, sweepCt } from "../policy/maps/ct-sweep.js";
import type { PolicyMapSet } from "../policy/maps/maps.js";
import { BatchQueue } from "./batch-queue.js";
import type { RecordDecoder } from "./decoder.js";
import { ABI_VERSION, FlowEventBit, Layout, RecordKind, Stat } from "./layout.js";
import { LostEntry, LostSource } from "./lost.js";
import { ensureMounts } from "./mounts.js";
import { attachSocketHooks, cgroupV2Root, pinMaps, reusePinnedMaps } from "./pins.js";

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
  /** bpffs directory of the pinned maps and links (--pin-path); no default, so tests never share it. */
  pinPath: string;
  /** Policy CT entries are swept this often (a full map scan). */
  ctSweepIntervalMs: number;
  /** cgroup v2 root for the socket hooks; undefined = found in /proc/mounts, "" = no socket hooks. */
  cgroupRoot?: string;
}

/** tc filter handle and priority of the collector's programs: a restart replaces them in place. */
export const TC_HANDLE = 1;
export const TC_PRIORITY = 1;

export const defaultDatapathOptions = {
  ringBytes: 4 * 1024 * 1024,
  flowMapEntries: 65536,
  reportIntervalMs: 5000,
  wakeupThresholdBytes: 64 * 1024,
  drainIntervalMs: 50,
  flowIdleTimeoutMs: 15000,
  sweepIntervalMs: 2000,
  ctSweepIntervalMs: 10_000,
} satisfies Omit<DatapathOptions, "objectPath" | "pinPath">;

export type DatapathStats = {
  ringbufFull: number;
  flowMapFull: number;
  packets: number;
  records: number;
  parseErrors: number;
  policyDrops: number;
  ctMapFull: number;
  /** Unreadable packets and fragments without their first, dropped on enforcing endpoints. */
  invalidDrops: number;
};

const TRACEPOINTS: [prog: string, category: string, name: string][] = [
  ["fl_sock_state", "sock", "inet_sock_set_state"],
  ["fl_kfree_skb", "skb", "kfree_skb"],
  ["fl_tcp_retransmit", "tcp", "tcp_retransmit_skb"],
];

export class Datapath {
  private readonly links = new Map<number, Link[]>();
  private readonly tpLinks: Link[] = [];
  private readonly sockLinks: Link[] = [];
  private readonly reader: RingBufferReader;
  private readonly queue: BatchQueue;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly flowsMap: BpfMap;
  private readonly statsMap: BpfMap;
  private readonly ipsMap: BpfMap;
  private readonly ctMap: BpfMap;
  private lastRingbufFull = 0;
  private lastCtSweepNs = 0;
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
    this.ctMap = obj.map("fl_ct");
    // Losses counted by an earlier run (the counters are pinned) were reported then.
    this.lastRingbufFull = this.stats().ringbufFull;
    for (const [prog, cat, name] of TRACEPOINTS) this.tpLinks.push(obj.program(prog).attachTracepoint(cat, name));
    const cgroupRoot = opts.cgroupRoot ?? cgroupV2Root();
    if (cgroupRoot) this.sockLinks.push(...attachSocketHooks(obj, opts.pinPath, cgroupRoot, log));
    else if (opts.cgroupRoot === undefined) log("no cgroup v2 hierarchy mounted: socket-level policy (connect/sendmsg) is off");
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
    this.timers.push(setInterval(() => this.guard("sweep policy connections", () => this.sweepConnections()), opts.sweepIntervalMs));
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
      const toPin = reusePinnedMaps(obj, opts.pinPath, log);
      obj.load();
      pinMaps(obj, toPin, opts.pinPath);
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

  /**
   * Attaches the tc programs (replacing ours of an earlier run in place). Endpoint interfaces keep
   * their filters when the collector exits (policy goes on); `keep: false` (observed host
   * interfaces) detaches them on exit.
   */
  attachInterface(ifindex: number, ifname: string, opts: { keep?: boolean } = {}): void {
    if (this.links.has(ifindex)) return;
    const tc = { ifname, keep: opts.keep ?? true, handle: TC_HANDLE, priority: TC_PRIORITY };
    const ing = this.obj.program("fl_tc_ingress").attachTc(ifindex, "ingress", tc);
    try {
      const eg = this.obj.program("fl_tc_egress").attachTc(ifindex, "egress", tc);
      this.links.set(ifindex, [ing, eg]);
    } catch (e) {
      ing.detach();
      throw e;
    }
  }

  /** Removes the tc filters of an interface (kept ones too): the endpoint is gone. */
  detachInterface(ifindex: number): void {
    for (const l of this.links.get(ifindex) ?? []) {
      try {
        l.detach();
      } catch {
        // The interface may be gone already, and its filters with it.
      }
    }
    this.links.delete(ifindex);
  }

  /** Removes filters an earlier run kept on an interface this run never attached (an endpoint that left meanwhile). */
  detachStaleInterface(ifindex: number): void {
    if (this.links.has(ifindex)) return;
    for (const dir of ["ingress", "egress"] as const) Link.detachTc(ifindex, dir, { handle: TC_HANDLE, priority: TC_PRIORITY });
  }

  /** A program of the loaded object by its section function name (e.g. fl_sk_lookup for the L7 links). */
  program(name: string): BpfProgram {
    return this.obj.program(name);
  }

  /** The pinned policy maps, for the map writer (policy/maps/maps.ts). */
  policyMaps(): PolicyMapSet {
    return {
      policy: this.obj.map("fl_policy"),
      ipcache: this.obj.map("fl_ipcache"),
      endpoints: this.obj.map("fl_endpoints"),
      cgroups: this.obj.map("fl_cgroups"),
    };
  }

  /** Socket hooks attached (0 without a cgroup v2 hierarchy). */
  get socketHooks(): number {
    return this.sockLinks.length;
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
      policyDrops: sum(Stat.POLICY_DROPS),
      ctMapFull: sum(Stat.CT_MAP_FULL),
      invalidDrops: sum(Stat.INVALID_DROPS),
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

  /** Expires idle fl_ct entries, at most once per ctSweepIntervalMs; returns how many. */
  sweepConnections(force = false): number {
    const now = monoNowNs();
    if (!force && now - this.lastCtSweepNs < this.opts.ctSweepIntervalMs * 1e6) return 0;
    this.lastCtSweepNs = now;
    const { entries, expired } = sweepCt(this.ctMap, now, defaultCtTimeouts);
    this.trackedConnections = entries - expired;
    return expired;
  }

  /** Entries left in fl_ct after the last connection sweep. */
  trackedConnections = 0;

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
    // Closing forgets kept tc filters and pinned socket-hook links: they stay in force.
    for (const links of this.links.values()) for (const l of links) l.close();
    this.links.clear();
    for (const l of [...this.tpLinks, ...this.sockLinks]) l.close();
    this.obj.close();
    this.log(`datapath closed; maps and policy stay pinned under ${this.opts.pinPath}`);
  }
}
