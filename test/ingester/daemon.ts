// Runs bin/flowlens-ingester as a child process for a suite (so it can be SIGKILLed) and reads its /metrics.
import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { freePort } from "@flowlens/test-harness/collector";
import { REPO_ROOT } from "@flowlens/test-harness/topology";

export const INGESTER_BIN = resolve(REPO_ROOT, "services/ingester/bin/flowlens-ingester.js");

export interface IngesterProcess {
  proc: ChildProcess;
  metricsUrl: string;
  output(): string;
  /** Value of one metric sample (sum over label sets matching `labels`), or undefined when absent. */
  metric(name: string, labels?: Record<string, string>): Promise<number | undefined>;
  /** SIGTERM (or the given signal) and wait for the exit; resolves with the exit code or signal. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const p of running) p.kill("SIGKILL");
});

/** Starts the ingester with the given flags plus a free metrics port; resolves once it consumes. */
export async function startIngester(args: string[], timeoutMs = 60_000): Promise<IngesterProcess> {
  const port = await freePort();
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  // e.g. FLOWLENS_INGESTER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the ingester under a bench.
  const nodeArgs = (process.env.FLOWLENS_INGESTER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, INGESTER_BIN, ...args, "--metrics-address", `127.0.0.1:${port}`], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(proc);
  let out = "";
  proc.stdout?.on("data", (d) => (out += d));
  proc.stderr?.on("data", (d) => (out += d));
  const exited = new Promise<number | string>((r) =>
    proc.on("exit", (code, sig) => {
      running.delete(proc);
      r(code ?? sig ?? "");
    }),
  );
  const self: IngesterProcess = {
    proc,
    metricsUrl,
    output: () => out,
    async metric(name, labels = {}) {
      let text: string;
      try {
        text = await (await fetch(metricsUrl)).text();
      } catch {
        return undefined;
      }
      let sum: number | undefined;
      for (const line of text.split("\n")) {
        const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const ls = m[2] ?? "";
        if (!Object.entries(labels).every(([k, v]) => ls.includes(`${k}="${v}"`))) continue;
        sum = (sum ?? 0) + Number(m[3]);
      }
      return sum;
    },
    async stop(signal = "SIGTERM") {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode ?? proc.signalCode ?? "";
      proc.kill(signal);
      const t = setTimeout(() => proc.kill("SIGKILL"), 20_000);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
  const end = Date.now() + timeoutMs;
  while (!/flowlens-ingester .*: .* \(group /.test(out)) {
    if (proc.exitCode !== null)
      throw new Error(`flowlens-ingester exited ${proc.exitCode}: ${out.trim().split("\n").slice(-5).join(" | ")}`);
    if (Date.now() > end) {
      await self.stop("SIGKILL");
      throw new Error(`flowlens-ingester did not start in ${timeoutMs} ms: ${out.trim().split("\n").slice(-5).join(" | ")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return self;
}

export async function waitFor<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch {
      // not ready yet
    }
    if (Date.now() > end) throw new Error(`${what}: not reached in ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
