// Pod-to-pod iperf3 TCP throughput with the collector attached vs detached (no collector process, no
// programs), alternating in the same run so drift and noisy neighbours hit both sides alike.
// Usage: npx vite-node bench/throughput.ts [-- --rounds 3 --seconds 5]
import { iperfClient, startIperfServer } from "@flowlens/test-harness/traffic";
import { fmt, parseFlags, result } from "./lib/args.mjs";
import { pod, runBench, sleep, startBenchCollector, withPods } from "./lib/env.ts";

const TARGET = 0.95;
const opts = parseFlags({ rounds: 3, seconds: 5 });
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

runBench("throughput", () =>
  withPods("flbt", [pod("client"), pod("server")], async (pods) => {
    await startIperfServer(pods, "server");
    const server = pods.pod("server").ipv4;
    const measure = async () => (await iperfClient(pods, "client", server, { seconds: opts.seconds })).bitsPerSecond;
    const attachedRuns: number[] = [];
    const detachedRuns: number[] = [];
    const attached = async () => {
      const collector = await startBenchCollector(pods);
      try {
        await sleep(300);
        const c = await collector.counters();
        if (!(c.flowlens_endpoints >= 2)) throw new Error(`collector observes ${c.flowlens_endpoints} endpoints, expected 2`);
        attachedRuns.push(await measure());
      } finally {
        await collector.stop();
      }
    };
    const detached = async () => {
      detachedRuns.push(await measure());
    };
    await measure(); // warm-up
    for (let r = 0; r < opts.rounds; r++) {
      // Alternate which side goes first so a trend in the machine's load favours neither.
      for (const step of r % 2 === 0 ? [attached, detached] : [detached, attached]) await step();
      console.log(
        `throughput: round ${r + 1}: attached ${fmt(attachedRuns[r] / 1e9, 2)} Gbit/s, detached ${fmt(detachedRuns[r] / 1e9, 2)} Gbit/s`,
      );
    }
    const a = mean(attachedRuns);
    const d = mean(detachedRuns);
    console.log(`throughput: mean attached ${fmt(a / 1e9, 2)} Gbit/s, detached ${fmt(d / 1e9, 2)} Gbit/s, kept ${fmt((100 * a) / d, 1)}%`);
    result("TCP throughput kept with collector", `${fmt((100 * a) / d, 1)}%`, `>= ${TARGET * 100}%`, a / d >= TARGET);
  }),
);
