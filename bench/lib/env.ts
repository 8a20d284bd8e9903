// Shared set-up of the kernel benches: "flb" pods from the test harness, the real collector daemon with
// /metrics, counter scraping and per-process CPU/RSS sampling from /proc. Cleans up on every exit path.
import { readFileSync } from "node:fs";
import { type Collector, freePort, startCollector } from "@flowlens/test-harness/collector";
import { createPods, type PodSpec, type Pods } from "@flowlens/test-harness/pods";

/** Each bench has its own "flb*" prefix, so a long rss run survives the others' clean-up. */
export const PREFIX = "flb";

export interface BenchCollector extends Collector {
  pid: number;
  metricsPort: number;
  /** kernel fl_stats sums and decoder counts, read from /metrics. */
  counters(): Promise<Record<string, number>>;
}

/** Starts the real collector on the pods with /metrics on a free port. */
export async function startBenchCollector(pods: Pods, extra: string[] = []): Promise<BenchCollector> {
  const metricsPort = await freePort();
  const c = await startCollector(["--endpoints", pods.endpointsFile, "--metrics-address", `127.0.0.1:${metricsPort}`, ...extra]);
  const pid = c.process.process.pid;
  if (pid === undefined) throw new Error("collector started without a pid");
  return { ...c, pid, metricsPort, counters: () => scrapeCounters(metricsPort) };
}

/** flowlens_datapath{counter=X} -> X, flowlens_records_decoded{kind=K} -> decoded.K, plus the ring gauges. */
export async function scrapeCounters(port: number): Promise<Record<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics on 127.0.0.1:${port}: HTTP ${res.status}`);
  const out: Record<string, number> = {};
  for (const line of (await res.text()).split("\n")) {
    const m = /^(flowlens_\w+)(?:\{(\w+)="(\w+)"\})? (\S+)$/.exec(line);
    if (!m) continue;
    const name = m[1] === "flowlens_datapath" ? m[3] : m[1] === "flowlens_records_decoded" ? `decoded.${m[3]}` : m[1];
    out[name] = Number(m[4]);
  }
  return out;
}

/** utime + stime of a process in seconds (from /proc/PID/stat; clock ticks are 100 Hz on Linux). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** VmRSS of a process in MiB. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status (process gone?)`);
  return Number(m[1]) / 1024;
}

/** Creates the pods, runs fn, and always removes pods (and the processes in them) afterwards. */
export async function withPods<T>(prefix: string, specs: PodSpec[], fn: (pods: Pods) => Promise<T>): Promise<T> {
  if (!prefix.startsWith(PREFIX)) throw new Error(`bench pod prefix "${prefix}" must start with ${PREFIX}`);
  const pods = await createPods({ prefix, pods: specs });
  try {
    return await fn(pods);
  } finally {
    await pods.destroy();
  }
}

export const pod = (name: string, app = name): PodSpec => ({ name, namespace: "bench", labels: { app } });

/** Runs a bench's main; failures print one line and exit 1 (the pods' exit handlers still clean up). */
export function runBench(name: string, main: () => Promise<void>): void {
  if (process.getuid?.() !== 0) {
    console.error(`${name}: needs root (network namespaces, eBPF); run as root after bash scripts/setup.sh`);
    process.exit(1);
  }
  main().then(
    () => process.exit(0),
    (e: Error) => {
      console.error(`${name}: ${e.message}`);
      process.exit(1);
    },
  );
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
