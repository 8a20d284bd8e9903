// Kernel run-time statistics of the tc programs on given interfaces (kernel.bpf_stats_enabled): the
// time the programs themselves spend per packet, which the machine's other load does not blur the
// way it blurs throughput. Enabling is global; the previous value is restored at exit.
import { readFileSync, writeFileSync } from "node:fs";
import { run } from "@flowlens/test-harness/run";

const SYSCTL = "/proc/sys/kernel/bpf_stats_enabled";

/** Turns the kernel's per-program run counters on until this process exits. */
export function enableBpfStats(): void {
  const before = readFileSync(SYSCTL, "utf8").trim();
  if (before === "1") return;
  writeFileSync(SYSCTL, "1");
  process.on("exit", () => writeFileSync(SYSCTL, before));
}

export interface ProgStats {
  runs: number;
  ns: number;
}

/** Summed run_cnt and run_time_ns of the tc programs attached to the interfaces (host netns). */
export async function tcProgStats(ifnames: string[]): Promise<ProgStats> {
  const out: ProgStats = { runs: 0, ns: 0 };
  for (const dev of ifnames) {
    const net = JSON.parse((await run(["bpftool", "-j", "net", "show", "dev", dev])).stdout) as {
      tc?: { prog_id?: number; id?: number }[];
    }[];
    for (const tc of net.flatMap((n) => n.tc ?? [])) {
      const id = tc.prog_id ?? tc.id;
      if (id === undefined) continue;
      const prog = JSON.parse((await run(["bpftool", "-j", "prog", "show", "id", String(id)])).stdout) as {
        run_cnt?: number;
        run_time_ns?: number;
      };
      out.runs += prog.run_cnt ?? 0;
      out.ns += prog.run_time_ns ?? 0;
    }
  }
  return out;
}

/** ns per program run between two readings. */
export const nsPerRun = (a: ProgStats, b: ProgStats) => (b.runs > a.runs ? (b.ns - a.ns) / (b.runs - a.runs) : Number.NaN);
