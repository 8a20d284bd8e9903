// Collector RSS (VmRSS) under steady demo-like traffic (HTTP, DNS-like UDP, database-like TCP, ping,
// refused connections, as scripts/demo.sh) with one GetFlows --follow client attached.
// Usage: npx vite-node bench/rss.ts [-- --seconds 60 | --minutes 10] [--sample 5]
import { resolve } from "node:path";
import type { Pods } from "@flowlens/test-harness/pods";
import { REPO_ROOT } from "@flowlens/test-harness/topology";
import { startHttpServer, startTcpSink, startUdpEcho } from "@flowlens/test-harness/traffic";
import { fmt, parseFlags, result } from "./lib/args.mjs";
import { pod, rssMiB, runBench, sleep, startBenchCollector, withPods } from "./lib/env.ts";
import { follow } from "./lib/follow-client.mjs";

const TARGET_MIB = 150;
const opts = parseFlags({ seconds: 60, minutes: 0, sample: 5 });
const seconds = opts.minutes > 0 ? opts.minutes * 60 : opts.seconds;
const servers = resolve(REPO_ROOT, "test/harness/servers");

/** The demo's traffic loops, each a shell loop inside a pod (killed with the pods). */
function startTraffic(pods: Pods): void {
  const ip = (name: string, v6 = false) => (v6 ? `[${pods.pod(name).ipv6}]` : pods.pod(name).ipv4);
  const every = (inPod: string, period: number, cmd: string) =>
    pods.spawn(inPod, ["sh", "-c", `while true; do ${cmd} >/dev/null 2>&1; sleep ${period}; done`]);
  every("frontend", 0.5, `curl -s -o /dev/null --max-time 2 http://${ip("backend")}:8080/api/items`);
  every("frontend", 3, `curl -s -g -o /dev/null --max-time 2 http://${ip("backend", true)}:8080/api/health`);
  every("backend", 2, `node ${servers}/tcp-send.mjs ${ip("db")} 5432 4096`);
  every("frontend", 2, `node ${servers}/udp-query.mjs ${ip("backend")} 5353 "query backend.default A"`);
  every("frontend", 3, `ping -n -c 1 -W 1 ${ip("db")}`);
  every("cart", 5, `curl -s -o /dev/null --max-time 2 http://${ip("backend")}:8080/api/cart`);
  every("frontend", 5, `curl -s -o /dev/null --max-time 2 http://${ip("db")}:9999/`);
}

runBench("rss", () =>
  withPods("flbr", [pod("frontend"), pod("backend"), pod("db"), pod("cart")], async (pods) => {
    await startHttpServer(pods, "backend", 8080);
    await startUdpEcho(pods, "backend", 5353);
    await startTcpSink(pods, "db", 5432);
    const collector = await startBenchCollector(pods);
    try {
      startTraffic(pods);
      const watching = follow(collector.address, seconds + opts.sample);
      const samples: { t: number; mib: number }[] = [];
      const t0 = Date.now();
      while (Date.now() - t0 < seconds * 1000) {
        await sleep(opts.sample * 1000);
        const s = { t: (Date.now() - t0) / 1000, mib: rssMiB(collector.pid) };
        samples.push(s);
        if (samples.length % Math.max(1, Math.round(60 / opts.sample)) === 0) console.log(`rss: t=${fmt(s.t)} s ${fmt(s.mib, 1)} MiB`);
      }
      const c = await collector.counters();
      const seen = (await watching).flows;
      const max = samples.reduce((a, b) => (b.mib > a.mib ? b : a));
      const end = samples[samples.length - 1];
      console.log(
        `rss: ${fmt(seconds)} s of demo traffic: ${fmt(c.flowlens_ring_seen_flows)} flows into the ring, ${fmt(seen)} delivered to the follow client`,
      );
      console.log(
        `rss: VmRSS start ${fmt(samples[0].mib, 1)} MiB (t=${fmt(samples[0].t)} s), max ${fmt(max.mib, 1)} MiB (t=${fmt(max.t)} s), end ${fmt(end.mib, 1)} MiB`,
      );
      result(
        `collector RSS after ${fmt(seconds / 60, 1)} min`,
        `${fmt(end.mib, 1)} MiB`,
        `<= ${TARGET_MIB} MB`,
        end.mib * 1.048576 <= TARGET_MIB,
      );
    } finally {
      await collector.stop();
    }
  }),
);
