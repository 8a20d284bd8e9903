// Pod-to-pod TCP throughput (iperf3) and new TCP connections per second with 1,000 policies of 10 rules
// loaded vs no policy, with the same collector attached throughout, alternating in one run. The load
// (bench/lib/policy-gen.ts) puts thousands of entries under the measured pods in fl_policy and
// fl_ipcache; two more policies allow exactly the measured traffic, so with the load every new
// connection is looked up at the client's egress and the server's ingress and gets CT entries.
// Policies are switched through the collector's --policies directory (one file in, out).
// Usage: npx vite-node bench/policy-throughput.ts [-- --rounds 3 --seconds 5 --policies 1000 --rules 10]
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep, waitFor } from "@flowlens/test-harness/run";
import { iperfClient, startIperfServer, tcpConnect, waitForPort } from "@flowlens/test-harness/traffic";
import { fmt, parseFlags, result } from "./lib/args.mjs";
import { enableBpfStats, nsPerRun, tcProgStats } from "./lib/bpf-stats.ts";
import { cpuSeconds, runBench } from "./lib/env.ts";
import {
  b4pod,
  LIB,
  loadAverage,
  mean,
  NAMESPACE,
  type PolicyCollector,
  runInPod,
  startPolicyCollector,
  withB4Pods,
} from "./lib/policy-env.ts";
import { allowPair, type PairLabels, policyLoad } from "./lib/policy-gen.ts";

const TARGET = 0.9;
const opts = parseFlags({ rounds: 3, seconds: 5, policies: 1000, rules: 10, concurrency: 16, settle: 3 });
const IPERF_PORT = 5201;
const CONNECT_PORT = 7000;
const pair: PairLabels = { client: { app: "b4-client" }, server: { app: "b4-server" } };

/** none: no policy; pair: only the two policies allowing the measured pair; load: those + the load. */
type State = "load" | "pair" | "none";
const STATES: State[] = ["load", "pair", "none"];
interface Run {
  bps: number;
  cps: number;
  verdicts: number;
  /** Collector CPU seconds per second during the connection loop. */
  collectorCpu: number;
  /** ns per tc program run (both pods' veths, ingress + egress) during iperf3 and the connection loop. */
  nsIperf: number;
  nsConnect: number;
}

runBench("policy-throughput", () =>
  withB4Pods("b4t", [b4pod("client"), b4pod("server"), b4pod("intruder")], async (pods) => {
    const dir = mkdtempSync(join(tmpdir(), "flowlens-b4t-policies-"));
    const files: Record<State, { file?: string; yaml: string; count: number }> = {
      none: { yaml: "", count: 0 },
      pair: { file: "pair.yaml", yaml: allowPair(pair, [IPERF_PORT, CONNECT_PORT], NAMESPACE), count: 2 },
      load: {
        file: "load.yaml",
        yaml: `${policyLoad(opts.policies, opts.rules, pair, NAMESPACE)}---\n${allowPair(pair, [IPERF_PORT, CONNECT_PORT], NAMESPACE)}`,
        count: opts.policies + 2,
      },
    };
    let collector: PolicyCollector | undefined;
    try {
      // A big flow table: the connection loop makes tens of thousands of flows in a few seconds.
      collector = await startPolicyCollector(pods, ["--policies", dir, "--flow-map-entries", "1048576"]);
      const c = collector;
      const pid = c.process.process.pid ?? 0;
      enableBpfStats();
      const veths = [pods.pod("client").hostIf, pods.pod("server").hostIf];
      await startIperfServer(pods, "server", IPERF_PORT);
      pods.spawn("server", ["node", join(LIB, "tcp-accept-close.mjs"), String(CONNECT_PORT)]);
      await waitForPort(pods, "server", CONNECT_PORT);
      // Wide port range and TIME_WAIT reuse in the client, so the loop never runs out of ports.
      await pods.exec("client", ["sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=1024 65535", "net.ipv4.tcp_tw_reuse=1"]);
      const server = pods.pod("server").ipv4;
      const forwarded = () => c.metric(/^flowlens_policy_verdicts_total\{[^}]*action="forwarded"/);

      /** Puts exactly the state's file in the --policies directory and waits until the collector applied it. */
      const setState = async (s: State) => {
        const t0 = performance.now();
        for (const st of STATES) {
          const f = files[st].file;
          if (f && st !== s) rmSync(join(dir, f), { force: true });
        }
        const { file, yaml, count } = files[s];
        if (file) {
          writeFileSync(join(dir, "next.tmp"), yaml);
          renameSync(join(dir, "next.tmp"), join(dir, file));
        }
        await waitFor(`${count} policies applied`, async () => (await c.metric(/^flowlens_policies /)) === count, 120_000);
        return performance.now() - t0;
      };
      const measure = async (s: State): Promise<Run> => {
        const v0 = await forwarded();
        const k0 = await tcProgStats(veths);
        const bps = (await iperfClient(pods, "client", server, { port: IPERF_PORT, seconds: opts.seconds })).bitsPerSecond;
        const k1 = await tcProgStats(veths);
        const cpu0 = cpuSeconds(pid);
        const t0 = performance.now();
        const cr = await runInPod<{ perSecond: number; errors: number; errorCodes: Record<string, number> }>(
          pods,
          "client",
          "connect-rate.mjs",
          [server, CONNECT_PORT, opts.seconds, opts.concurrency],
        );
        const collectorCpu = (cpuSeconds(pid) - cpu0) / ((performance.now() - t0) / 1000);
        const k2 = await tcProgStats(veths);
        if (cr.errors > 0) console.log(`policy-throughput: ${s}: ${cr.errors} connection errors ${JSON.stringify(cr.errorCodes)}`);
        return {
          bps,
          cps: cr.perSecond,
          verdicts: (await forwarded()) - v0,
          collectorCpu,
          nsIperf: nsPerRun(k0, k1),
          nsConnect: nsPerRun(k1, k2),
        };
      };

      // Proof that the load is enforced: with it, a pod the policies do not allow is dropped.
      const applyMs = await setState("load");
      console.log(
        `policy-throughput: ${files.load.count} policies (${opts.policies} × ${opts.rules} rules + 2 allowing the pair) applied in ${fmt(applyMs)} ms (file written → flowlens_policies)`,
      );
      const denied = await tcpConnect(pods, "intruder", server, CONNECT_PORT);
      if (denied !== "ETIMEDOUT") throw new Error(`with the policies loaded the intruder pod still reaches the server (${denied})`);
      await setState("none");
      const open = await tcpConnect(pods, "intruder", server, CONNECT_PORT);
      if (open !== "connected") throw new Error(`without policies the intruder pod cannot reach the server (${open})`);

      await iperfClient(pods, "client", server, { port: IPERF_PORT, seconds: 1 }); // warm-up
      const runs: Record<State, Run[]> = { load: [], pair: [], none: [] };
      for (let r = 0; r < opts.rounds; r++) {
        // Reverse the order every round so a trend in the machine's load favours no state.
        for (const s of r % 2 === 0 ? STATES : [...STATES].reverse()) {
          await setState(s);
          // The same quiet time before every measurement: switching to the load keeps the collector
          // busy for seconds while the network idles, which must not favour that state.
          await sleep(opts.settle * 1000);
          runs[s].push(await measure(s));
        }
        const line = STATES.map((s) => {
          const x = runs[s][r];
          return `${s} ${fmt(x.bps / 1e9, 2)} Gbit/s ${fmt(x.cps)} conn/s (tc ${fmt(x.nsIperf)}/${fmt(x.nsConnect)} ns/run, collector ${fmt(x.collectorCpu, 2)} CPU, ${x.verdicts} verdicts)`;
        });
        console.log(`policy-throughput: round ${r + 1}: ${line.join("; ")}`);
      }
      for (const s of ["load", "pair"] as const)
        if (runs[s].some((x) => x.verdicts === 0)) throw new Error(`a ${s} round counted no policy verdicts: the lookups did not happen`);
      if (runs.none.some((x) => x.verdicts !== 0))
        throw new Error("a no-policy round counted policy verdicts: the policies were not removed");
      report(runs, await loadAverage());
    } finally {
      await collector?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }),
);

function report(runs: Record<State, Run[]>, load: string): void {
  const m = (s: State, k: keyof Run) => mean(runs[s].map((x) => x[k]));
  const pct = (a: number, b: number) => `${fmt((100 * a) / b, 1)}%`;
  for (const s of STATES)
    console.log(
      `policy-throughput: mean ${s}: ${fmt(m(s, "bps") / 1e9, 2)} Gbit/s, ${fmt(m(s, "cps"))} conn/s, tc ${fmt(m(s, "nsIperf"))} ns/run under iperf3, ${fmt(m(s, "nsConnect"))} ns/run under the connection loop`,
    );
  console.log(
    `policy-throughput: kept vs none: load ${pct(m("load", "bps"), m("none", "bps"))} throughput, ${pct(m("load", "cps"), m("none", "cps"))} conn/s; ` +
      `pair only ${pct(m("pair", "bps"), m("none", "bps"))}, ${pct(m("pair", "cps"), m("none", "cps"))}; load vs pair ${pct(m("load", "cps"), m("pair", "cps"))} conn/s; load average ${load}`,
  );
  const bps = m("load", "bps") / m("none", "bps");
  const cps = m("load", "cps") / m("none", "cps");
  result(
    `TCP throughput kept with ${opts.policies} policies`,
    pct(m("load", "bps"), m("none", "bps")),
    `>= ${TARGET * 100}%`,
    bps >= TARGET,
  );
  result(
    `new connections/s kept with ${opts.policies} policies`,
    pct(m("load", "cps"), m("none", "cps")),
    `>= ${TARGET * 100}%`,
    cps >= TARGET,
  );
}
