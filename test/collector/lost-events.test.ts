// Losses are counted, never silent: a tiny kernel ring buffer that overflows must show up as
// LostEvent in the stream and in ServerStatus; a reader lapped by the live ring is told too.
import { LostEventSource } from "@flowlens/proto";
import { type Collector, freePort } from "@flowlens/test-harness/collector";
import { flowsOf, observerClient } from "@flowlens/test-harness/observer";
import type { Pods } from "@flowlens/test-harness/pods";
import { waitFor } from "@flowlens/test-harness/run";
import { podsWithCollector } from "@flowlens/test-harness/suite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let pods: Pods;
let collector: Collector;
let client: ReturnType<typeof observerClient>;

/** One UDP datagram to each of `n` ports: every one starts new flows (and ICMP errors). */
const burst = (ip: string, n: number) =>
  `const s=require("dgram").createSocket("udp4");let i=0;const go=()=>{if(i>=${n})return s.close();s.send("x",20000+i++,"${ip}",go)};go()`;

let metricsPort: number;

beforeAll(async () => {
  metricsPort = await freePort();
  // 4 KiB of kernel ring (~25 records) drained once a second: a burst must overflow it.
  ({ pods, collector } = await podsWithCollector(
    {
      prefix: "e2l",
      pods: [
        { name: "a", namespace: "default", labels: { app: "a" } },
        { name: "b", namespace: "default", labels: { app: "b" } },
      ],
    },
    ["--metrics-address", `127.0.0.1:${metricsPort}`, "--ring-buffer-bytes", "4096", "--drain-interval", "1s", "--buffer-size", "16"],
  ));
  client = observerClient(collector.address);
});

afterAll(async () => {
  client?.close();
  await collector?.stop();
  await pods?.destroy();
});

describe("lost events", () => {
  it("reports kernel ring-buffer overflow in the stream and in ServerStatus", async () => {
    const lost: bigint[] = [];
    const stream = client.follow({}, (r) => {
      if (r.responseTypes.case === "lostEvents" && r.responseTypes.value.source === LostEventSource.PERF_EVENT_RING_BUFFER)
        lost.push(r.responseTypes.value.numEventsLost);
    });
    await new Promise((r) => setTimeout(r, 300));
    await pods.exec("a", ["node", "-e", burst(pods.pod("b").ipv4, 2000)]);
    await waitFor("lost event in the stream", async () => lost.length > 0, 5000);
    stream.cancel();
    expect(lost.reduce((a, b) => a + b, 0n)).toBeGreaterThan(0n);
    const status = await client.status();
    const kernel = status.flowlensLostEvents.find((l) => l.source === LostEventSource.PERF_EVENT_RING_BUFFER);
    expect(Number(kernel?.numEventsLost)).toBeGreaterThan(0);
    // ... and in the metrics, from the same counter.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const m = /flowlens_lost_events_total\{source="kernel_ring"\} (\d+)/.exec(metrics);
    expect(Number(m?.[1])).toBe(Number(kernel?.numEventsLost));
    expect(metrics).toMatch(/flowlens_datapath\{counter="ringbufFull"\} [1-9]/);
  });

  it("keeps only --buffer-size flows and says so in ServerStatus", async () => {
    const status = await client.status();
    expect(Number(status.maxFlows)).toBe(16);
    expect(Number(status.numFlows)).toBeLessThanOrEqual(16);
    expect(Number(status.seenFlows)).toBeGreaterThan(16);
    expect(flowsOf(await client.getFlows({})).length).toBeLessThanOrEqual(16);
  });
});
