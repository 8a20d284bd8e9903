// HTTP requests/s and latency through an L7 rule (every request checked by flowlens-l7proxy) vs the
// same port allowed by a plain L4 rule, and with no policy, alternating in one run. Keep-alive client
// with some concurrency (bench/lib/http-load.mjs) in one pod, the test HTTP server in the other.
// Usage: npx vite-node bench/policy-l7.ts [-- --rounds 3 --seconds 5 --concurrency 16]
import { readFileSync } from "node:fs";
import { curlGet, startHttpServer } from "@flowlens/test-harness/traffic";
import { fmt, parseFlags, result } from "./lib/args.mjs";
import { cpuSeconds, runBench } from "./lib/env.ts";
import { b4pod, loadAverage, mean, NAMESPACE, type PolicyCollector, runInPod, startPolicyCollector, withB4Pods } from "./lib/policy-env.ts";

const opts = parseFlags({ rounds: 3, seconds: 5, concurrency: 16 });
const PORT = 80;
const NAME = "bench-l7";

type State = "l7" | "l4" | "none";
const STATES: State[] = ["l7", "l4", "none"];
interface Load {
  requests: number;
  non2xx: number;
  errors: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}
interface Run extends Load {
  l7Verdicts: number;
  /** CPU seconds per second of the L7 proxy process and of the collector during the load. */
  proxyCpu: number;
  collectorCpu: number;
}

/** The server's ingress from the client on TCP 80, with HTTP rules for l7 (GET /bench/... and /health). */
function policy(s: "l7" | "l4"): string {
  const http =
    s === "l7"
      ? '\n          rules:\n            http:\n              - method: GET\n                path: "/bench/.*"\n              - method: GET\n                path: /health'
      : "";
  return `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: ${NAME}
  namespace: ${NAMESPACE}
spec:
  endpointSelector:
    matchLabels:
      app: b4-server
  ingress:
    - fromEndpoints:
        - matchLabels:
            app: b4-client
      toPorts:
        - ports:
            - port: "${PORT}"
              protocol: TCP${http}
`;
}

runBench("policy-l7", () =>
  withB4Pods("b4l", [b4pod("client"), b4pod("server")], async (pods) => {
    let collector: PolicyCollector | undefined;
    try {
      collector = await startPolicyCollector(pods);
      const c = collector;
      const collectorPid = c.process.process.pid ?? 0;
      await startHttpServer(pods, "server", PORT);
      const base = `http://${pods.pod("server").ipv4}:${PORT}`;
      const status = async (path: string) => (await curlGet(pods, "client", `${base}${path}`, 2)).status;
      const proxyPid = () => {
        try {
          return Number(readFileSync(`${c.stateDir}/l7/proxy.pid`, "utf8").trim()) || 0;
        } catch {
          return 0;
        }
      };

      const setState = async (s: State) => {
        if (s === "none") {
          if ((await c.metric(/^flowlens_policies /)) > 0) await c.deletePolicy(NAME);
        } else {
          const res = await c.apply(policy(s));
          if (res.errors.length > 0) throw new Error(`apply ${s}: ${res.errors.map((e) => e.reason).join("; ")}`);
        }
        // Through the proxy a path outside the rules gets 403; direct, the server answers 200. Apply
        // returns once the proxy listens, so the first request already says which.
        const want = s === "l7" ? 403 : 200;
        const got = await status("/other");
        if (got !== want) throw new Error(`${s}: GET /other right after the change answered ${got}, not ${want}`);
        if ((await status("/bench/x")) !== 200) throw new Error(`${s}: GET /bench/x is not answered 200`);
      };
      const measure = async (): Promise<Run> => {
        const l7 = () => c.metric(/^flowlens_policy_verdicts_total\{[^}]*match="l7\/http"/);
        const v0 = await l7();
        const pid = proxyPid();
        const cpu0 = pid ? cpuSeconds(pid) : 0;
        const cc0 = cpuSeconds(collectorPid);
        const t0 = performance.now();
        const load = await runInPod<Load>(pods, "client", "http-load.mjs", [`${base}/bench/item?id=42`, opts.seconds, opts.concurrency]);
        const secs = (performance.now() - t0) / 1000;
        const proxyCpu = pid ? (cpuSeconds(pid) - cpu0) / secs : 0;
        const collectorCpu = (cpuSeconds(collectorPid) - cc0) / secs;
        return { ...load, l7Verdicts: (await l7()) - v0, proxyCpu, collectorCpu };
      };

      await setState("l4");
      await runInPod<Load>(pods, "client", "http-load.mjs", [`${base}/bench/warm`, 1, opts.concurrency]); // warm-up
      const runs: Record<State, Run[]> = { l7: [], l4: [], none: [] };
      for (let r = 0; r < opts.rounds; r++) {
        for (const s of r % 2 === 0 ? STATES : [...STATES].reverse()) {
          await setState(s);
          const x = await measure();
          if (x.non2xx > 0 || x.errors > 0) throw new Error(`${s}: ${x.non2xx} non-2xx answers and ${x.errors} errors under load`);
          if (s === "l7" ? x.l7Verdicts < x.requests : x.l7Verdicts > 0)
            throw new Error(`${s}: ${x.l7Verdicts} L7 verdicts counted for ${x.requests} requests`);
          runs[s].push(x);
        }
        const line = STATES.map((s) => {
          const x = runs[s][r];
          return `${s} ${fmt(x.rps)} req/s p50 ${fmt(x.p50Ms, 2)} p99 ${fmt(x.p99Ms, 2)} ms${s === "l7" ? ` (CPU: proxy ${fmt(x.proxyCpu, 2)}, collector ${fmt(x.collectorCpu, 2)})` : ""}`;
        });
        console.log(`policy-l7: round ${r + 1}: ${line.join("; ")}`);
      }
      report(runs, await loadAverage());
    } finally {
      await collector?.close();
    }
  }),
);

function report(runs: Record<State, Run[]>, load: string): void {
  const m = (s: State, k: keyof Run) => mean(runs[s].map((x) => x[k]));
  for (const s of STATES)
    console.log(
      `policy-l7: mean ${s}: ${fmt(m(s, "rps"))} req/s, p50 ${fmt(m(s, "p50Ms"), 2)} ms, p99 ${fmt(m(s, "p99Ms"), 2)} ms (${opts.concurrency} keep-alive connections)`,
    );
  const kept = m("l7", "rps") / m("l4", "rps");
  const addedP99 = m("l7", "p99Ms") - m("l4", "p99Ms");
  console.log(
    `policy-l7: L7 vs L4 rule on the same port: ${fmt(100 * kept, 1)}% of the requests/s, p99 +${fmt(addedP99, 2)} ms; L7 vs no policy ${fmt((100 * m("l7", "rps")) / m("none", "rps"), 1)}%; load average ${load}`,
  );
  result(
    "HTTP req/s through an L7 rule vs L4 rule",
    `${fmt(100 * kept, 1)}% (${fmt(m("l7", "rps"))} vs ${fmt(m("l4", "rps"))})`,
    "(report)",
    true,
  );
  result("added p99 latency of the L7 rule", `${fmt(addedP99, 2)} ms`, "(report)", true);
}
