// A client that stops reading is not allowed to stall the node: once the backpressure budget is
// spent, decoding goes on, the live ring laps that reader, and it is told how much it missed.
import { LostEventSource } from "@flowlens/proto";
import type { Collector } from "@flowlens/test-harness/collector";
import { observerClient } from "@flowlens/test-harness/observer";
import type { Pods } from "@flowlens/test-harness/pods";
import { sleep, waitFor } from "@flowlens/test-harness/run";
import { podsWithCollector } from "@flowlens/test-harness/suite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let pods: Pods;
let collector: Collector;

/** One UDP datagram to each of `n` ports: every one starts new flows (and a drop). */
const burst = (ip: string, n: number) =>
  `const s=require("dgram").createSocket("udp4");let i=0;const go=()=>{if(i>=${n})return s.close();s.send("x",30000+i++,"${ip}",go)};go()`;

beforeAll(async () => {
  ({ pods, collector } = await podsWithCollector(
    {
      prefix: "e2r",
      pods: [
        { name: "a", namespace: "default", labels: { app: "a" } },
        { name: "b", namespace: "default", labels: { app: "b" } },
      ],
    },
    ["--buffer-size", "64"],
  ));
});

afterAll(async () => {
  await collector?.stop();
  await pods?.destroy();
});

describe("a reader that stops reading", () => {
  it("is lapped, told with a HUBBLE_RING_BUFFER LostEvent, and does not stop other clients", async () => {
    const client = observerClient(collector.address);
    let lost = 0n;
    let flows = 0;
    const stream = client.follow({}, (r) => {
      if (r.responseTypes.case === "lostEvents" && r.responseTypes.value.source === LostEventSource.HUBBLE_RING_BUFFER)
        lost += r.responseTypes.value.numEventsLost;
      if (r.responseTypes.case === "flow") flows++;
    });
    await sleep(300);
    stream.pause();
    // Far more events than the 64-entry ring and the 4,096 responses grpc-js may queue.
    await pods.exec("a", ["node", "-e", burst(pods.pod("b").ipv4, 4000)]);
    // While that reader is stuck, another client still gets answers promptly.
    const other = observerClient(collector.address);
    const t0 = Date.now();
    await other.status();
    expect(Date.now() - t0).toBeLessThan(2000);
    // Past the backpressure budget, decoding goes on without the stuck reader.
    await waitFor("burst decoded", async () => Number((await other.status()).seenFlows) > 8000, 10_000);
    other.close();
    stream.resume();
    await waitFor("lost event", async () => lost > 0n, 10_000);
    stream.cancel();
    client.close();
    expect(flows).toBeGreaterThan(0);
    const status = await observerClient(collector.address).status();
    const live = status.flowlensLostEvents.find((l) => l.source === LostEventSource.HUBBLE_RING_BUFFER);
    expect(Number(live?.numEventsLost)).toBeGreaterThan(0);
  });
});
