// The whole history pipeline on real pods and real servers: collector → relay → Kafka →
// ingester → ClickHouse. A known number of connections must arrive exactly once, with the
// 5-tuples, pods and verdicts the live API showed.
import { createClient } from "@clickhouse/client";
import { type ClickHouseServer, startClickHouse } from "@flowlens/test-harness/clickhouse";
import type { Collector } from "@flowlens/test-harness/collector";
import { type KafkaServer, startKafka } from "@flowlens/test-harness/kafka";
import { observerClient, ports, waitForFlows } from "@flowlens/test-harness/observer";
import type { Pods } from "@flowlens/test-harness/pods";
import { startRelay } from "@flowlens/test-harness/relay";
import { waitFor } from "@flowlens/test-harness/run";
import { podsWithCollector } from "@flowlens/test-harness/suite";
import { curlGet, startHttpServer } from "@flowlens/test-harness/traffic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IngesterProcess, startIngester } from "../ingester/daemon.js";

const CONNECTIONS = 25;

let pods: Pods;
let collector: Collector;
let kafka: KafkaServer;
let ch: ClickHouseServer;
let relay: Awaited<ReturnType<typeof startRelay>>;
let ingester: IngesterProcess;

beforeAll(async () => {
  [kafka, ch] = await Promise.all([startKafka(), startClickHouse()]);
  await kafka.createTopics();
  ({ pods, collector } = await podsWithCollector({
    prefix: "e2p",
    pods: [
      { name: "web", namespace: "default", labels: { app: "web" } },
      { name: "api", namespace: "shop", labels: { app: "api" } },
    ],
  }));
  await startHttpServer(pods, "api", 8080);
  relay = await startRelay(["--peers", collector.address, "--kafka-brokers", kafka.brokers]);
  ingester = await startIngester(["--kafka-brokers", kafka.brokers, "--clickhouse-url", ch.url, "--batch-max-wait", "300"]);
}, 180_000);

afterAll(async () => {
  await ingester?.stop();
  await relay?.stop();
  await collector?.stop();
  await pods?.destroy();
  await Promise.all([kafka?.destroy(), ch?.destroy()]);
}, 120_000);

describe("history pipeline", () => {
  it("stores every connection exactly once, as the live API showed it", async () => {
    const web = pods.pod("web");
    const api = pods.pod("api");
    for (let i = 0; i < CONNECTIONS; i++) expect((await curlGet(pods, web, `http://${api.ipv4}:8080/c${i}`)).status).toBe(200);

    // Live, through the relay: the SYN of each connection as it left the client.
    const live = observerClient(relay.address);
    const syns = await waitForFlows(
      live,
      { whitelist: [{ sourcePod: ["default/web"], destinationPort: ["8080"], tcpFlags: [{ SYN: true }] }] },
      (f) => f.interface?.name === web.hostIf && f.l4?.protocol.case === "TCP" && !f.l4.protocol.value.flags?.ACK,
      CONNECTIONS,
      10_000,
    );
    live.close();
    expect(new Set(syns.map((f) => ports(f)?.[0])).size).toBe(CONNECTIONS);

    // Stored: the same SYN records, each once (dedup-aware: FINAL), same tuple, pods, verdict.
    const client = createClient({ url: ch.url });
    const query = `SELECT uuid, src_ip, src_port, dst_ip, dst_port, src_pod, dst_namespace, dst_pod, verdict
      FROM flowlens.flows FINAL
      WHERE src_ip = '${web.ipv4}' AND dst_port = 8080 AND interface = '${web.hostIf}' AND has(tcp_flags, 'SYN') AND NOT has(tcp_flags, 'ACK')`;
    let rows: {
      uuid: string;
      src_port: number;
      src_pod: string;
      dst_pod: string;
      dst_namespace: string;
      dst_ip: string;
      verdict: string;
    }[] = [];
    await waitFor(
      `${CONNECTIONS} connections in ClickHouse`,
      async () => {
        rows = await (await client.query({ query, format: "JSONEachRow" })).json();
        return rows.length >= CONNECTIONS;
      },
      30_000,
    );
    await client.close();
    expect(rows).toHaveLength(CONNECTIONS);
    expect(new Set(rows.map((r) => r.uuid))).toEqual(new Set(syns.map((f) => f.uuid)));
    for (const r of rows) {
      expect(r).toMatchObject({ src_pod: "web", dst_pod: "api", dst_namespace: "shop", dst_ip: api.ipv4, verdict: "FORWARDED" });
      expect(Number(r.src_port)).toBe(ports(syns.find((f) => f.uuid === r.uuid) as (typeof syns)[number])?.[0]);
    }
    // Nothing went to the dead-letter topic.
    expect((await ingester.metric("flowlens_ingester_dead_letters_total")) ?? 0).toBe(0);
  });
});
