// Ring-buffer records per packet under a bulk TCP transfer: iperf3 between two pods with the collector
// attached; kernel fl_stats packets and records from /metrics before and after.
// Usage: npx vite-node bench/records-per-packet.ts [-- --bytes 1G]
import { iperfClient, startIperfServer } from "@flowlens/test-harness/traffic";
import { fmt, parseFlags, result } from "./lib/args.mjs";
import { pod, runBench, sleep, startBenchCollector, withPods } from "./lib/env.ts";

const TARGET = 0.05;
const opts = parseFlags({ bytes: "1G" });
const bytes = Number.parseFloat(opts.bytes) * ({ K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 }[opts.bytes.slice(-1).toUpperCase()] ?? 1);

runBench("records-per-packet", () =>
  withPods("flbp", [pod("client"), pod("server")], async (pods) => {
    await startIperfServer(pods, "server");
    const collector = await startBenchCollector(pods);
    try {
      await sleep(500);
      const before = await collector.counters();
      const run = await iperfClient(pods, "client", pods.pod("server").ipv4, { bytes });
      await sleep(300); // the reader drains every 50 ms; let the last records arrive
      const after = await collector.counters();
      const packets = after.packets - before.packets;
      const records = after.records - before.records;
      const segments = (run.bytes / 1448) * 2; // MTU-sized data segments, seen on both pods' veths
      const ratio = records / packets;
      console.log(`records-per-packet: iperf3 ${fmt(run.bytes / 2 ** 20)} MiB at ${fmt(run.bitsPerSecond / 1e9, 1)} Gbit/s`);
      console.log(
        `records-per-packet: tc packets ${fmt(packets)} (GSO super-packets, both veths), records ${fmt(records)} (flow ${fmt(after["decoded.flows"] - before["decoded.flows"])}, sock ${fmt(after["decoded.sock"] - before["decoded.sock"])}, drop ${fmt(after["decoded.drops"] - before["decoded.drops"])}, retrans ${fmt(after["decoded.retrans"] - before["decoded.retrans"])}), ringbufFull ${fmt(after.ringbufFull - before.ringbufFull)}`,
      );
      console.log(
        `records-per-packet: ${ratio.toFixed(5)} records per tc packet; ${(records / segments).toExponential(2)} per 1448-byte wire segment equivalent`,
      );
      result("records per packet (bulk TCP)", ratio.toFixed(5), `<= ${TARGET}`, ratio <= TARGET);
    } finally {
      await collector.stop();
    }
  }),
);
