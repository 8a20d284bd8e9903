// The relay producing to a real Kafka broker: every flow once, protobuf flow.Flow values, both
// directions of a connection under one key (one partition); with Kafka stopped and a tiny buffer,
// the overflow is counted exactly (ServerStatus, lost events on the stream, metrics) and the kept
// flows arrive once Kafka is back.
import { create, fromBinary } from "@bufbuild/protobuf";
import { FlowSchema, type GetFlowsResponse, LostEventSource } from "@flowlens/proto";
import { FakeNode, testFlow } from "@flowlens/relay/testkit";
import { freePort } from "@flowlens/test-harness/collector";
import { FLOWS_TOPIC, type KafkaServer, readRecords, startKafka } from "@flowlens/test-harness/kafka";
import { type Daemon, observer, startRelay } from "@flowlens/test-harness/relay";
import { waitFor } from "@flowlens/test-harness/run";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionKey } from "../src/sinks/flow-key.js";

let kafka: KafkaServer;
let relay: Daemon;
/** A second relay with a tiny export buffer, following a node that starts empty. */
let tiny: Daemon;
let metricsPort: number;
let tinyMetricsPort: number;
const a = new FakeNode("kafka-node-a");
const b = new FakeNode("kafka-node-b");
const c = new FakeNode("kafka-node-c");
const t0 = Date.now() - 30_000;

/** A reply: the flow's tuple reversed (same connection, other direction). */
function reply(node: string, uuid: string, timeMs: number) {
  const f = testFlow(node, uuid, timeMs);
  f.IP = { ...(f.IP as NonNullable<typeof f.IP>), source: "10.9.0.2", destination: "10.9.0.1" };
  f.l4 = create(FlowSchema, { l4: { protocol: { case: "TCP", value: { sourcePort: 80, destinationPort: 40000 } } } }).l4;
  return f;
}

async function metric(name: string, port = metricsPort): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(name) && !l.startsWith("#"));
  return line ? Number(line.split(" ").pop()) : Number.NaN;
}

beforeAll(async () => {
  kafka = await startKafka({ partitions: 6 });
  await kafka.createTopics();
  // History: 300 flows on each node, connections with forward and reply directions and distinct ports.
  for (let i = 0; i < 150; i++) {
    a.flows.push(testFlow("kafka-node-a", `a-fwd-${i}`, t0 + i * 10, 1000 + i), reply("kafka-node-a", `a-rep-${i}`, t0 + i * 10 + 1));
    b.flows.push(testFlow("kafka-node-b", `b-fwd-${i}`, t0 + i * 10 + 2, 3000 + i));
    b.flows.push(testFlow("kafka-node-b", `b-x-${i}`, t0 + i * 10 + 3, 5000 + i));
  }
  // Replies on a carry the reversed tuple of the same connection: fix their ports to match the forward flow's.
  for (let i = 0; i < 150; i++) {
    const r = a.flows[2 * i + 1];
    r.l4 = create(FlowSchema, { l4: { protocol: { case: "TCP", value: { sourcePort: 1000 + i, destinationPort: 40000 } } } }).l4;
  }
  await a.start();
  await b.start();
  await c.start();
  metricsPort = await freePort();
  tinyMetricsPort = await freePort();
  relay = await startRelay([
    "--peers",
    `${a.address},${b.address}`,
    "--kafka-brokers",
    kafka.brokers,
    "--sort-buffer-drain-timeout",
    "200ms",
    "--batch-flows",
    "100",
    "--metrics-address",
    `127.0.0.1:${metricsPort}`,
  ]);
  tiny = await startRelay([
    "--peers",
    c.address,
    "--kafka-brokers",
    kafka.brokers,
    "--sort-buffer-drain-timeout",
    "200ms",
    "--buffer-flows",
    "50",
    "--batch-flows",
    "20",
    "--metrics-address",
    `127.0.0.1:${tinyMetricsPort}`,
  ]);
}, 120_000);

afterAll(async () => {
  await relay?.stop();
  await tiny?.stop();
  c.stop();
  a.stop();
  b.stop();
  await kafka?.destroy();
});

describe("relay → Kafka", () => {
  it("produces every flow once, as protobuf flow.Flow keyed by connection (both directions in one partition)", async () => {
    await waitFor("600 flows produced", async () => (await metric("flowlens_relay_flows_produced")) === 600, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${relay.output()}`);
    });
    const records = await readRecords(kafka.brokers, FLOWS_TOPIC, 600, 30_000);
    expect(records.length).toBe(600);
    const flows = records.map((r) => ({ r, f: fromBinary(FlowSchema, r.value as Buffer) }));
    const uuids = flows.map(({ f }) => f.uuid);
    expect(new Set(uuids).size).toBe(600);
    expect(new Set(uuids)).toEqual(new Set([...a.flows, ...b.flows].map((f) => f.uuid)));
    for (const { r } of flows) expect(r.key?.toString()).toBe(connectionKey(r.value as Buffer));
    const partitionOf = new Map(flows.map(({ r, f }) => [f.uuid, r.partition]));
    for (let i = 0; i < 150; i++) {
      expect(flows.find(({ f }) => f.uuid === `a-fwd-${i}`)?.r.key?.toString()).toBe(`10.9.0.1:40000|10.9.0.2:${1000 + i}|TCP`);
      expect(partitionOf.get(`a-rep-${i}`)).toBe(partitionOf.get(`a-fwd-${i}`));
    }
    expect(new Set(flows.map(({ r }) => r.partition)).size).toBeGreaterThan(1); // keys spread over partitions
  });

  it("with Kafka stopped, keeps --buffer-flows flows, counts every other one exactly, and delivers the kept ones later", async () => {
    const events: GetFlowsResponse[] = [];
    const client = observer(tiny.address);
    const stream = client.follow({}, (r) => events.push(r));
    try {
      await waitFor("stream open", async () => events.length > 0);
      await kafka.stop();
      const now = Date.now();
      for (let i = 0; i < 200; i++) c.push(testFlow("kafka-node-c", `down-${i}`, now + i, 7000 + i));
      await waitFor(
        "200 flows buffered or dropped",
        async () => (await metric("flowlens_relay_buffer_dropped_flows", tinyMetricsPort)) === 150,
        15_000,
      );
      expect(await metric("flowlens_relay_buffer_flows", tinyMetricsPort)).toBe(50);
      const status = await client.status();
      expect(status.flowlensLostEvents.find((l) => l.source === LostEventSource.OBSERVER_EVENTS_QUEUE)?.numEventsLost).toBe(150n);
      await waitFor(
        "lost events on the relay's stream adding up to 150",
        async () =>
          events
            .flatMap((r) =>
              r.responseTypes.case === "lostEvents" && r.responseTypes.value.source === LostEventSource.OBSERVER_EVENTS_QUEUE
                ? [r.responseTypes.value]
                : [],
            )
            .reduce((s, l) => s + Number(l.numEventsLost), 0) === 150,
        5000,
      );
      await kafka.start();
      await waitFor(
        "the 50 kept flows produced",
        async () => (await metric("flowlens_relay_flows_produced", tinyMetricsPort)) === 50,
        60_000,
      );
      const records = await readRecords(kafka.brokers, FLOWS_TOPIC, 650, 30_000);
      const down = records.map((r) => fromBinary(FlowSchema, r.value as Buffer).uuid).filter((u) => u.startsWith("down-"));
      // The buffer keeps the first flows and drops the later ones.
      expect(down.sort()).toEqual(Array.from({ length: 50 }, (_, i) => `down-${i}`).sort());
      expect(await metric("flowlens_relay_buffer_dropped_flows", tinyMetricsPort)).toBe(150);
    } finally {
      stream.cancel();
      client.close();
    }
  });
});
