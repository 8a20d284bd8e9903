// How soon a followed flow reaches its reader: a new HTTP connection between two pods, timed from the
// start of curl to the first flow of it on a GetFlows follow stream and on `flowlens observe -f`'s
// compact output. The end-to-end tests assert that these flows arrive; this prints how fast.
// Usage: npx vite-node bench/follow-latency.ts [-- --rounds 5]
import { CLI_BIN } from "../test/harness/collector.ts";
import { observerClient } from "../test/harness/observer.ts";
import { spawnBackground } from "../test/harness/pods.ts";
import { waitFor } from "../test/harness/run.ts";
import { curlGet, startHttpServer } from "../test/harness/traffic.ts";
import { fmt, parseFlags, result } from "./lib/args.mjs";
import { pod, runBench, sleep, startBenchCollector, withPods } from "./lib/env.ts";

const opts = parseFlags({ rounds: 5 });

/** Milliseconds from the start of each curl until `seen()` grows, one curl per round. */
async function latencies(seen: () => number, curl: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < opts.rounds; i++) {
    const before = seen();
    const started = Date.now();
    await curl();
    const at = await waitFor("the followed flow", async () => seen() > before && Date.now(), 5000);
    out.push(at - started);
  }
  return out;
}

runBench("follow-latency", () =>
  withPods("flbf", [pod("client"), pod("server")], async (pods) => {
    await startHttpServer(pods, "server", 8080);
    const collector = await startBenchCollector(pods);
    const url = `http://${pods.pod("server").ipv4}:8080/follow`;
    const curl = () => curlGet(pods, "client", url);
    try {
      const client = observerClient(collector.address);
      let flows = 0;
      const stream = client.follow({ whitelist: [{ destinationPort: ["8080"], sourcePod: ["bench/client"] }] }, (r) => {
        if (r.responseTypes.case === "flow") flows++;
      });
      await sleep(500); // the stream opening: nothing tells the reader when the server follows
      const api = await latencies(() => flows, curl);
      stream.cancel();
      client.close();

      const cli = spawnBackground([
        "node",
        CLI_BIN,
        "observe",
        "--server",
        collector.address,
        "-f",
        "--to-pod",
        "bench/server",
        "--to-port",
        "8080",
      ]);
      try {
        await sleep(1500); // node start-up and the stream opening
        const lines = () =>
          cli
            .output()
            .split("\n")
            .filter((l) => /FORWARDED/.test(l)).length;
        const compact = await latencies(lines, curl);
        const worst = (xs: number[]) => Math.max(...xs);
        console.log(
          `follow-latency: GetFlows ${api.map((x) => fmt(x)).join(", ")} ms; flowlens observe -f ${compact.map((x) => fmt(x)).join(", ")} ms`,
        );
        result("GetFlows follow: curl start to first flow, worst ms", fmt(worst(api)), "< 1000", worst(api) < 1000);
        result("flowlens observe -f: curl start to compact line, worst ms", fmt(worst(compact)), "< 1500", worst(compact) < 1500);
      } finally {
        await cli.kill();
      }
    } finally {
      await collector.stop();
    }
  }),
);
