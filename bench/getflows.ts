// Flows/s the real collector delivers to one GetFlows --follow client (one flow per message), with
// flows made by the kernel: a UDP generator in a pod sends each datagram to a new port of a pod where
// nothing listens (NEW on both veths + a NO_SOCKET drop + two idle-sweep ENDs per datagram).
// Steps through generator rates; per step: flows into the ring, flows delivered, LostEvents, kernel
// ring-buffer losses and the CPU of the collector and the client (from /proc/PID/stat).
// Usage: npx vite-node bench/getflows.ts [-- --rates 3000,8000,15000 --seconds 8 --buffer-size 4095]
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { REPO_ROOT } from "@flowlens/test-harness/topology";
import { fmt, parseFlags, result } from "./lib/args.mjs";
import { cpuSeconds, pod, runBench, sleep, startBenchCollector, withPods } from "./lib/env.ts";

const TARGET = 50_000;
const opts = parseFlags({ rates: "3000,8000,15000", seconds: 8, bufferSize: 4095 });
const lib = resolve(REPO_ROOT, "bench/lib");

interface ClientResult {
  flows: number;
  lostMessages: number;
  lostEvents: number;
  lostBySource: Record<string, number>;
  cpuSeconds: number;
}

/** Starts the follow client as its own process; resolves `ready` once the stream is open. */
function startClient(address: string, seconds: number) {
  const child = spawn("node", [`${lib}/follow-client.mjs`, address, String(seconds)], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  const ready = new Promise<void>((ok, fail) => {
    child.stderr.on("data", (d) => {
      err += d;
      if (err.includes("ready")) ok();
    });
    child.on("exit", () => fail(new Error(`follow client exited before its stream opened: ${err.trim()}`)));
  });
  const done = new Promise<ClientResult>((ok, fail) =>
    child.on("exit", (code) => (code === 0 ? ok(JSON.parse(out)) : fail(new Error(`follow client: ${err.trim() || `exit ${code}`}`)))),
  );
  return { pid: child.pid as number, ready, done, kill: () => child.kill("SIGKILL") };
}

runBench("getflows", () =>
  withPods("flbg", [pod("gen1", "gen"), pod("gen2", "gen"), pod("sink")], async (pods) => {
    // A big flow table and a short idle timeout: every datagram is a new flow, and the sweep keeps up.
    const collector = await startBenchCollector(pods, [
      "--flow-map-entries",
      "1048576",
      "--flow-idle-timeout",
      "3s",
      "--ring-buffer-bytes",
      String(16 * 2 ** 20),
      "--buffer-size",
      String(opts.bufferSize),
    ]);
    const rows: { offered: number; delivered: number; lost: number; kernelLost: number; srvCpu: number; cliCpu: number; dgrams: number }[] =
      [];
    try {
      for (const rate of opts.rates.split(",").map(Number)) {
        const client = startClient(collector.address, opts.seconds);
        try {
          await client.ready;
          const c0 = await collector.counters();
          const s0 = cpuSeconds(collector.pid);
          const t0 = Date.now();
          // Two generator pods, half the rate each.
          const gens = ["gen1", "gen2"].map((g) =>
            pods.exec(g, ["node", `${lib}/udp-flood.mjs`, pods.pod("sink").ipv4, String(rate / 2), String(opts.seconds - 0.5)], {
              timeoutMs: (opts.seconds + 10) * 1000,
            }),
          );
          const sent = (await Promise.all(gens)).reduce((n, r) => n + Number(/sent (\d+)/.exec(r.stdout)?.[1] ?? 0), 0);
          const r = await client.done;
          const secs = (Date.now() - t0) / 1000;
          const c1 = await collector.counters();
          const row = {
            dgrams: sent / secs,
            offered: (c1.flowlens_ring_seen_flows - c0.flowlens_ring_seen_flows) / secs,
            delivered: r.flows / opts.seconds,
            lost: r.lostEvents,
            lostBySource: r.lostBySource,
            kernelLost: c1.ringbufFull - c0.ringbufFull,
            srvCpu: (cpuSeconds(collector.pid) - s0) / secs,
            cliCpu: r.cpuSeconds / opts.seconds,
          };
          rows.push(row);
          console.log(
            `getflows: ${fmt(row.dgrams)} datagrams/s -> ${fmt(row.offered)} flows/s into the ring, ${fmt(row.delivered)} flows/s delivered, LostEvents ${fmt(row.lost)} ${JSON.stringify(row.lostBySource)}, kernel ringbufFull ${fmt(row.kernelLost)}, CPU collector ${fmt(100 * row.srvCpu)}% client ${fmt(100 * row.cliCpu)}%`,
          );
        } finally {
          client.kill();
        }
        await sleep(4000); // let the idle sweep end this step's flows before the next one
      }
    } finally {
      await collector.stop();
    }
    const clean = rows.filter((r) => r.lost === 0 && r.kernelLost === 0);
    const best = clean.reduce((a, b) => (b.delivered > a.delivered ? b : a), { delivered: 0 } as (typeof rows)[number]);
    console.log(
      `getflows: best loss-free delivered rate ${fmt(best.delivered)} flows/s (target >= ${fmt(TARGET)}); see bench/README.md for where the limit is`,
    );
    result("GetFlows follow, kernel flows, no loss", `${fmt(best.delivered)}/s`, `>= ${fmt(TARGET)}/s`, best.delivered >= TARGET);
  }),
);
