// Direct mode: no Kafka, the relay writes its batches straight to a real ClickHouse server; a
// ClickHouse outage is waited out in the buffer and nothing is lost or counted twice.
import { createFlowStore, type FlowStore } from "@flowlens/clickhouse";
import { FakeNode, testFlow } from "@flowlens/relay/testkit";
import { type ClickHouseServer, startClickHouse } from "@flowlens/test-harness/clickhouse";
import { type Daemon, startRelay } from "@flowlens/test-harness/relay";
import { waitFor } from "@flowlens/test-harness/run";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let ch: ClickHouseServer;
let store: FlowStore;
let relay: Daemon;
const node = new FakeNode("direct-node");
const t0 = Date.now() - 10_000;

beforeAll(async () => {
  ch = await startClickHouse();
  for (let i = 0; i < 300; i++) node.flows.push(testFlow("direct-node", `direct-${i}`, t0 + i, 1000 + i));
  await node.start();
  relay = await startRelay([
    "--peers",
    node.address,
    "--clickhouse-url",
    ch.url,
    "--sort-buffer-drain-timeout",
    "200ms",
    "--batch-flows",
    "100",
  ]);
  store = createFlowStore({ url: ch.url });
}, 120_000);

afterAll(async () => {
  await relay?.stop();
  node.stop();
  await store?.close();
  await ch?.destroy();
});

describe("relay → ClickHouse (direct mode)", () => {
  it("stores every flow once", async () => {
    await waitFor("300 flows in ClickHouse", async () => (await store.countFlows().catch(() => 0)) === 300, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${relay.output()}`);
    });
  });

  it("waits out a ClickHouse outage in its buffer; nothing lost, nothing twice", async () => {
    await ch.stop();
    const now = Date.now();
    for (let i = 0; i < 100; i++) node.push(testFlow("direct-node", `outage-${i}`, now + i, 5000 + i));
    await waitFor("an insert failure logged", async () => relay.output().includes("export:"), 15_000);
    await ch.start();
    await waitFor("400 flows in ClickHouse", async () => (await store.countFlows().catch(() => 0)) === 400, 60_000);
    expect(await store.countFlows()).toBe(400);
  });
});
