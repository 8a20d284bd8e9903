// Policy apply → enforced latency: the server's policy is applied alternately as an allow and as a deny
// of the client (same policy name, Apply over gRPC); a prober in the client pod starts a new TCP
// connection every 2 ms and reports when the verdict of new connections changes. Enforced latency =
// start of the first connection attempt with the new verdict − start of the Apply call. Also the
// Apply call's own duration. --load N applies N more policies (bench/lib/policy-gen.ts) first, to see
// how the size of the policy set weighs on an apply.
// Usage: npx vite-node bench/policy-apply.ts [-- --applies 100 --load 0]
import { join } from "node:path";
import type { Spawned } from "@flowlens/test-harness/pods";
import { sleep, waitFor } from "@flowlens/test-harness/run";
import { waitForPort } from "@flowlens/test-harness/traffic";
import { fmt, parseFlags, result } from "./lib/args.mjs";
import { runBench } from "./lib/env.ts";
import {
  b4pod,
  LIB,
  loadAverage,
  NAMESPACE,
  type PolicyCollector,
  percentile,
  startPolicyCollector,
  withB4Pods,
} from "./lib/policy-env.ts";
import { policyLoad } from "./lib/policy-gen.ts";

const TARGET_MS = 100;
const opts = parseFlags({ applies: 100, load: 0, rules: 10 });
const PORT = 7000;
const now = () => performance.timeOrigin + performance.now();

type Verdict = "allowed" | "denied";

/** The server's ingress from the client on TCP 7000: allowed, or explicitly denied. */
function policy(v: Verdict): string {
  const list = v === "allowed" ? "ingress" : "ingressDeny";
  return `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: bench-apply
  namespace: ${NAMESPACE}
spec:
  endpointSelector:
    matchLabels:
      app: b4-server
  ${list}:
    - fromEndpoints:
        - matchLabels:
            app: b4-client
      toPorts:
        - ports:
            - port: "${PORT}"
              protocol: TCP
`;
}

/** The prober's transitions so far: [start time, verdict]. */
function transitions(prober: Spawned): [number, string][] {
  return prober
    .output()
    .split("\n")
    .map((l) => l.split(" "))
    .filter((f) => f.length === 2 && /^\d/.test(f[0]))
    .map(([t, v]) => [Number(t), v]);
}

runBench("policy-apply", () =>
  withB4Pods("b4a", [b4pod("client"), b4pod("server")], async (pods) => {
    let collector: PolicyCollector | undefined;
    try {
      collector = await startPolicyCollector(pods);
      const c = collector;
      pods.spawn("server", ["node", join(LIB, "tcp-accept-close.mjs"), String(PORT)]);
      await waitForPort(pods, "server", PORT);
      if (opts.load > 0) {
        const t0 = performance.now();
        const res = await c.apply(
          policyLoad(opts.load, opts.rules, { client: { app: "b4-idle-client" }, server: { app: "b4-server" } }, NAMESPACE),
        );
        if (res.errors.length > 0) throw new Error(`load: ${res.errors[0].reason}`);
        console.log(`policy-apply: ${opts.load} load policies (${opts.rules} rules each) applied in ${fmt(performance.now() - t0)} ms`);
      }
      await c.apply(policy("allowed"));
      const prober = pods.spawn("client", ["node", join(LIB, "connect-prober.mjs"), pods.pod("server").ipv4, String(PORT), "2", "40"]);
      await waitFor("the prober sees allowed connections", async () => transitions(prober).at(-1)?.[1] === "allowed", 10_000);

      const enforced: number[] = [];
      const rpc: number[] = [];
      let want: Verdict = "allowed";
      for (let i = 0; i < opts.applies; i++) {
        want = want === "allowed" ? "denied" : "allowed";
        const seen = transitions(prober).length;
        const t0 = now();
        const res = await c.apply(policy(want));
        rpc.push(now() - t0);
        if (res.errors.length > 0) throw new Error(`apply ${want}: ${res.errors[0].reason}`);
        const hit = await waitFor(
          `the prober to see ${want} after apply ${i + 1}`,
          async () =>
            transitions(prober)
              .slice(seen)
              .find(([t, v]) => v === want && t >= t0),
          5_000,
        );
        const flaps = transitions(prober)
          .slice(seen)
          .filter(([, v]) => v !== want && v !== "allowed" && v !== "denied");
        if (flaps.length > 0) throw new Error(`prober reported ${flaps[0][1]} connections (expected allowed or denied)`);
        enforced.push(hit[0] - t0);
        // Let the new verdict settle (and the denied attempts' timeouts pass) before the next flip.
        await sleep(60 + Math.random() * 60);
        const last = transitions(prober).at(-1)?.[1];
        if (last !== want) throw new Error(`after apply ${i + 1} (${want}) new connections are ${last} again`);
      }
      report(enforced, rpc, await loadAverage());
    } finally {
      await collector?.close();
    }
  }),
);

function report(enforced: number[], rpc: number[], load: string): void {
  const e = [...enforced].sort((a, b) => a - b);
  const r = [...rpc].sort((a, b) => a - b);
  const line = (xs: number[]) =>
    `p50 ${fmt(percentile(xs, 50), 1)} ms, p99 ${fmt(percentile(xs, 99), 1)} ms, max ${fmt(xs.at(-1) ?? 0, 1)} ms`;
  const set = opts.load > 0 ? ` with ${opts.load} other policies` : "";
  console.log(`policy-apply: ${enforced.length} applies${set} alternating allow/deny; load average ${load}`);
  console.log(`policy-apply: apply → enforced for new connections: ${line(e)}`);
  console.log(`policy-apply: Apply RPC duration: ${line(r)}`);
  result(`policy apply → enforced p99${set}`, `${fmt(percentile(e, 99), 1)} ms`, `<= ${TARGET_MS} ms`, percentile(e, 99) <= TARGET_MS);
}
