// Prometheus metrics of the collector (prom-client). Values are read when scraped, so the hot
// path only bumps plain counters.
import { createDaemonRegistry } from "@flowlens/runtime";
import { Counter, Gauge, type Registry } from "prom-client";

export interface MetricSources {
  decoderCounts(): Record<string, number>;
  datapathStats(): Record<string, number> | undefined;
  ringSize(): number;
  ringWritten(): number;
  activeFlows(): number;
  /** Events lost since start, by source name (kernel ring, events queue, live ring readers). */
  lost(): Record<string, number>;
  /** Failures of periodic work (sweep, drain) since start. */
  errors(): number;
  endpoints(): number;
  /** Policy decisions by direction, match type and action (Hubble's policy_verdicts_total labels). */
  policyVerdicts?(): { direction: string; match: string; action: string; value: number }[];
  /** Drops (policy and kernel) by Hubble drop reason and protocol. */
  drops?(): { reason: string; protocol: string; value: number }[];
  /** Policies applied on this node. */
  policies?(): number;
  /** Policy sources (files) that failed to read, parse or compile, with their error count; [] = healthy. */
  policyProblems?(): { source: string; count: number }[];
}

export function createMetrics(src: MetricSources): Registry {
  const registry = createDaemonRegistry("flowlens_collector_");
  new Gauge({
    name: "flowlens_records_decoded",
    help: "Ring-buffer records decoded, by kind",
    labelNames: ["kind"],
    registers: [registry],
    collect() {
      for (const [k, v] of Object.entries(src.decoderCounts())) this.set({ kind: k }, v);
    },
  });
  new Gauge({
    name: "flowlens_datapath",
    help: "Kernel counters from fl_stats (ringbufFull = records lost in the kernel)",
    labelNames: ["counter"],
    registers: [registry],
    collect() {
      for (const [k, v] of Object.entries(src.datapathStats() ?? {})) this.set({ counter: k }, v);
    },
  });
  new Gauge({
    name: "flowlens_ring_flows",
    help: "Flows held in the live ring",
    registers: [registry],
    collect() {
      this.set(src.ringSize());
    },
  });
  new Gauge({
    name: "flowlens_ring_seen_flows",
    help: "Flows written to the live ring since start",
    registers: [registry],
    collect() {
      this.set(src.ringWritten());
    },
  });
  new Gauge({
    name: "flowlens_active_flows",
    help: "Flow directions in the kernel flow table at the last idle sweep",
    registers: [registry],
    collect() {
      this.set(src.activeFlows());
    },
  });
  new Counter({
    name: "flowlens_lost_events_total",
    help: "Events lost, by where: kernel_ring (ring buffer full), events_queue (decode queue full), live_ring (a reader was lapped)",
    labelNames: ["source"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [k, v] of Object.entries(src.lost())) this.inc({ source: k }, v);
    },
  });
  new Counter({
    name: "flowlens_collector_errors_total",
    help: "Failures of periodic datapath work (drain, sweep, loss counters), logged and survived",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(src.errors());
    },
  });
  new Gauge({
    name: "flowlens_endpoints",
    help: "Endpoints on this node",
    registers: [registry],
    collect() {
      this.set(src.endpoints());
    },
  });
  new Counter({
    name: "flowlens_policy_verdicts_total",
    help: "Policy decisions: new connections allowed, denied or audited (direction, policy match type, action)",
    labelNames: ["direction", "match", "action"],
    registers: [registry],
    collect() {
      this.reset();
      for (const v of src.policyVerdicts?.() ?? []) this.inc({ direction: v.direction, match: v.match, action: v.action }, v.value);
    },
  });
  new Counter({
    name: "flowlens_drop_total",
    help: "Dropped packets and refused socket calls, by Hubble drop reason (POLICY_DENIED, POLICY_DENY, the datapath's fail-closed drops, kernel reasons) and protocol",
    labelNames: ["reason", "protocol"],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of src.drops?.() ?? []) this.inc({ reason: d.reason, protocol: d.protocol }, d.value);
    },
  });
  new Gauge({
    name: "flowlens_policies",
    help: "Network policies applied on this node",
    registers: [registry],
    collect() {
      this.set(src.policies?.() ?? 0);
    },
  });
  new Gauge({
    name: "flowlens_policy_healthy",
    help: "1 when the policies in force are what every policy source says; 0 while a source fails and the last good set stays in force",
    registers: [registry],
    collect() {
      this.set((src.policyProblems?.() ?? []).length === 0 ? 1 : 0);
    },
  });
  new Gauge({
    name: "flowlens_policy_load_errors",
    help: "Errors of each policy source (persisted policy file, --policies file) that failed to read, parse or compile",
    labelNames: ["source"],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of src.policyProblems?.() ?? []) this.set({ source: p.source }, p.count);
    },
  });
  return registry;
}
