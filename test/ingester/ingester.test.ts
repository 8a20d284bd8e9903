// flowlens-ingester against a real Kafka broker and a real ClickHouse server: exact counts, dead letters,
// SIGKILL and restart, ClickHouse down under load, retention, migrate twice.
import { createFlowStore, type FlowStore, ROLLUPS, sql } from "@flowlens/clickhouse";
import { type ClickHouseServer, startClickHouse } from "@flowlens/test-harness/clickhouse";
import { type KafkaServer, kafkaClient, readRecords, startKafka } from "@flowlens/test-harness/kafka";
import { run } from "@flowlens/test-harness/run";
import type { Producer } from "kafkajs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { INGESTER_BIN, type IngesterProcess, startIngester, waitFor } from "./daemon.js";
import { flowRecord, syntheticFlow } from "./flows.js";

let kafka: KafkaServer;
let ch: ClickHouseServer;
let producer: Producer;
const stores: FlowStore[] = [];
const daemons: IngesterProcess[] = [];
let seq = 0;

beforeAll(async () => {
  [kafka, ch] = await Promise.all([startKafka({ partitions: 3 }), startClickHouse()]);
  producer = kafkaClient(kafka.brokers).producer({ allowAutoTopicCreation: false });
  await producer.connect();
}, 180_000);

afterEach(async (ctx) => {
  const failed = ctx.task.result?.state === "fail";
  for (const d of daemons) if (failed || process.env.FLOWLENS_TEST_VERBOSE) process.stderr.write(`--- ingester output\n${d.output()}\n`);
  await Promise.all(daemons.splice(0).map((d) => d.stop("SIGKILL")));
});

afterAll(async () => {
  await producer?.disconnect().catch(() => {});
  for (const s of stores) await s.close().catch(() => {});
  await Promise.all([kafka?.destroy(), ch?.destroy()]);
}, 120_000);

/** A topic, group and database of the test's own, so tests do not see each other's flows. */
async function scenario(name: string, partitions = 3) {
  const id = `${name}_${++seq}`;
  const topic = `ingest.${id}`;
  const dlqTopic = `${topic}.dlq`;
  const admin = kafkaClient(kafka.brokers).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
  const database = `ingest_${id}`;
  const store = createFlowStore({ url: ch.url, database });
  stores.push(store);
  const groupId = `group-${id}`;
  const args = (extra: string[] = []) => [
    "--kafka-brokers",
    kafka.brokers,
    "--topic",
    topic,
    "--dlq-topic",
    dlqTopic,
    "--group-id",
    groupId,
    "--clickhouse-url",
    ch.url,
    "--clickhouse-database",
    database,
    "--batch-rows",
    "5000",
    "--batch-max-wait",
    "300ms",
    "--retry-max-backoff",
    "2s",
    "--lag-interval",
    "500ms",
    // A SIGKILLed member holds its partitions until its session expires.
    "--session-timeout",
    "8s",
    ...extra,
  ];
  const start = async (extra: string[] = []) => {
    const d = await startIngester(args(extra));
    daemons.push(d);
    return d;
  };
  const produce = async (flows: ReturnType<typeof syntheticFlow>[]) => {
    for (let i = 0; i < flows.length; i += 2000)
      await producer.send({ topic, acks: -1, messages: flows.slice(i, i + 2000).map(flowRecord) });
  };
  /** Distinct flows as a dashboard counts them, and physical rows (duplicates included). */
  const counts = async () => {
    const distinct = await store.countFlows();
    const rs = await store.client.query({
      query: `SELECT count() AS n, uniqExact(uuid) AS u FROM ${database}.flows`,
      format: "JSONEachRow",
    });
    const [row] = await rs.json<{ n: string; u: string }>();
    return { distinct, rows: Number(row.n), uuids: Number(row.u) };
  };
  /** Flows counted by the per-minute rollup, which sees every insert (a replayed row would count twice). */
  const rollupFlows = async (table = "flows_minute") => {
    const rs = await store.client.query({ query: `SELECT sum(flows) AS n FROM ${database}.${table}`, format: "JSONEachRow" });
    const [row] = await rs.json<{ n: string }>();
    return Number(row.n);
  };
  return { topic, dlqTopic, groupId, database, store, start, produce, counts, rollupFlows };
}

const flows = (n: number, base = 0, timeMs?: number) => Array.from({ length: n }, (_, i) => syntheticFlow(base + i, timeMs));

describe("flowlens-ingester", () => {
  it("migrate applies the schema and is idempotent", async () => {
    const database = `ingest_migrate_${++seq}`;
    for (let i = 0; i < 2; i++) {
      const r = await run(["node", INGESTER_BIN, "migrate", "--clickhouse-url", ch.url, "--clickhouse-database", database]);
      expect(r.code, r.stderr).toBe(0);
    }
    const store = createFlowStore({ url: ch.url, database });
    stores.push(store);
    expect(await store.countFlows()).toBe(0);
  });

  it("refuses a bad flag with one line and exit code 2", async () => {
    const r = await run(["node", INGESTER_BIN, "--batch-rows", "lots"], { allowFail: true });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--batch-rows");
  });

  it("stores exactly N produced flows, commits their offsets and reports zero lag", async () => {
    const s = await scenario("exact");
    const n = 20_000;
    const sent = flows(n);
    await s.produce(sent);
    const d = await s.start();
    await waitFor("all flows stored", s.counts, (c) => c.distinct === n, 60_000);
    const c = await s.counts();
    expect(c).toEqual({ distinct: n, rows: n, uuids: n });
    // The same 5-tuple and endpoints come out as went in.
    const probe = sent[1234];
    expect(
      await s.store.countFlows(
        sql`uuid = ${probe.uuid} AND src_ip = ${probe.IP?.source ?? ""} AND src_pod = 'client-34' AND dst_port = 8080`,
      ),
    ).toBe(1);
    await waitFor(
      "lag 0",
      () => d.metric("flowlens_ingester_consumer_lag"),
      (v) => v === 0,
      20_000,
    );
    expect(await d.metric("flowlens_ingester_rows_inserted_total")).toBe(n);
    expect(await d.metric("flowlens_ingester_batches_total")).toBeGreaterThanOrEqual(4);
  });

  it("sends poison records to the dead-letter topic with the reason while good flows arrive", async () => {
    const s = await scenario("poison");
    const good = flows(1000);
    const noUuid = syntheticFlow(1);
    noUuid.uuid = "";
    const badIp = syntheticFlow(2);
    if (badIp.IP) badIp.IP.source = "999.1.1.1";
    const noTime = syntheticFlow(3);
    noTime.time = undefined;
    const poison = [
      { key: "p1", value: Buffer.from("this is not protobuf \xff\xff\xff") },
      { key: "p2", value: flowRecord(noUuid).value },
      { key: "p3", value: flowRecord(badIp).value },
      { key: "p4", value: flowRecord(noTime).value },
      { key: "p5", value: null },
    ];
    await s.produce(good.slice(0, 500));
    await producer.send({ topic: s.topic, acks: -1, messages: poison });
    await s.produce(good.slice(500));
    const d = await s.start();
    await waitFor("good flows stored", s.counts, (c) => c.distinct === 1000, 60_000);
    const dead = await readRecords(kafka.brokers, s.dlqTopic, 5, 30_000);
    const byKey = new Map(dead.map((r) => [r.key?.toString(), r]));
    expect(byKey.get("p1")?.headers.reason).toMatch(/^not a protobuf flow.Flow/);
    expect(byKey.get("p2")?.headers.reason).toBe("missing uuid");
    expect(byKey.get("p3")?.headers.reason).toContain('source IP "999.1.1.1" is not an IP address');
    expect(byKey.get("p4")?.headers.reason).toBe("missing time");
    expect(byKey.get("p5")?.headers.reason).toBe("empty record value");
    for (const r of dead) {
      expect(r.headers["original-topic"]).toBe(s.topic);
      expect(Number(r.headers["original-offset"])).toBeGreaterThanOrEqual(0);
    }
    // The dead letter carries the record unchanged.
    expect(byKey.get("p3")?.value?.equals(flowRecord(badIp).value)).toBe(true);
    expect(await d.metric("flowlens_ingester_dead_letters_total")).toBe(5);
    expect((await s.counts()).distinct).toBe(1000);
    await waitFor(
      "lag 0",
      () => d.metric("flowlens_ingester_consumer_lag"),
      (v) => v === 0,
      20_000,
    );
  });

  it("loses nothing and shows nothing twice when SIGKILLed mid-stream and restarted", async () => {
    const s = await scenario("sigkill");
    const n = 60_000;
    const all = flows(n);
    await s.produce(all.slice(0, 20_000));
    let d = await s.start(["--batch-rows", "3000"]);
    // Keep producing while the first ingester runs, then kill it between batches or in the middle of one.
    const producing = (async () => {
      for (let i = 20_000; i < n; i += 4000) {
        await s.produce(all.slice(i, i + 4000));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await waitFor("some flows stored", s.counts, (c) => c.distinct >= 8000, 60_000);
    expect(await d.stop("SIGKILL")).toBe("SIGKILL");
    const atKill = await s.counts();
    expect(atKill.distinct).toBeLessThan(n);
    await producing;
    d = await s.start(["--batch-rows", "3000"]);
    await waitFor("every flow stored", s.counts, (c) => c.distinct === n, 90_000);
    const c = await s.counts();
    expect(c.distinct).toBe(n);
    expect(c.uuids).toBe(n);
    await waitFor(
      "lag 0",
      () => d.metric("flowlens_ingester_consumer_lag"),
      (v) => v === 0,
      20_000,
    );
    // Another second: nothing more arrives, the count stays exact.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await s.counts()).distinct).toBe(n);
  }, 180_000);

  it("after a member died between insert and commit, its successor skips the flows it stored (rollup exact)", async () => {
    const s = await scenario("inflight", 1);
    await s.store.migrate();
    const all = flows(5000);
    await s.produce(all);
    // The dead member: marked offsets 0..2999 in flight, stored them, died before committing.
    await s.store.insertFlows(all.slice(0, 3000));
    const member = kafkaClient(kafka.brokers).consumer({ groupId: s.groupId });
    await member.connect();
    const joined = new Promise<void>((r) => member.on(member.events.GROUP_JOIN, () => r()));
    await member.subscribe({ topics: [s.topic], fromBeginning: true });
    await member.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => {} });
    await joined;
    await member.commitOffsets([{ topic: s.topic, partition: 0, offset: "0", metadata: "flowlens-inflight:2999" }]);
    await member.disconnect();
    const d = await s.start();
    await waitFor("every flow stored", s.counts, (c) => c.distinct === 5000, 60_000);
    await waitFor(
      "lag 0",
      () => d.metric("flowlens_ingester_consumer_lag"),
      (v) => v === 0,
      20_000,
    );
    expect(d.output()).toContain("partition 0: offsets 0..2999 may be stored already");
    // Nothing was stored twice: not in the raw table, not in the rollup.
    expect(await s.counts()).toEqual({ distinct: 5000, rows: 5000, uuids: 5000 });
    expect(await s.rollupFlows()).toBe(5000);
  });

  it("after ClickHouse stopped between a batch's flows part and its rollup part, the replay repairs the rollup", async () => {
    const s = await scenario("partial", 1);
    await s.store.migrate();
    const all = flows(5000);
    await s.produce(all);
    // The dead member's insert of offsets 0..2999 reached flows, but the server stopped before the view wrote
    // the rollups (simulated: every rollup view detached for that insert); the mark says they may be stored.
    for (const r of ROLLUPS) await s.store.client.command({ query: `DETACH TABLE ${s.database}.${r.view}` });
    try {
      await s.store.insertFlows(all.slice(0, 3000));
    } finally {
      for (const r of ROLLUPS) await s.store.client.command({ query: `ATTACH TABLE ${s.database}.${r.view}` });
    }
    expect(await s.rollupFlows()).toBe(0);
    const member = kafkaClient(kafka.brokers).consumer({ groupId: s.groupId });
    await member.connect();
    const joined = new Promise<void>((r) => member.on(member.events.GROUP_JOIN, () => r()));
    await member.subscribe({ topics: [s.topic], fromBeginning: true });
    await member.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => {} });
    await joined;
    await member.commitOffsets([{ topic: s.topic, partition: 0, offset: "0", metadata: "flowlens-inflight:2999" }]);
    await member.disconnect();
    const d = await s.start();
    await waitFor("every flow stored", s.counts, (c) => c.distinct === 5000, 60_000);
    await waitFor(
      "lag 0",
      () => d.metric("flowlens_ingester_consumer_lag"),
      (v) => v === 0,
      20_000,
    );
    expect(await s.counts()).toEqual({ distinct: 5000, rows: 5000, uuids: 5000 });
    for (const r of ROLLUPS) expect(await s.rollupFlows(r.table), r.table).toBe(5000);
  });

  it("keeps only complete days newer than --retention-days, dropping older partitions on its schedule", async () => {
    const s = await scenario("retention");
    await s.store.migrate();
    const day = 86_400_000;
    const now = Date.now();
    await s.store.insertFlows(flows(10, 0, now - 10 * day));
    await s.store.insertFlows(flows(20, 100, now - 5 * day));
    await s.store.insertFlows(flows(30, 200, now - 3600_000));
    expect((await s.counts()).distinct).toBe(60);
    await s.start(["--retention-days", "7", "--retention-interval", "1s"]);
    await waitFor("old partition dropped", s.counts, (c) => c.distinct === 50, 30_000);
    const rs = await s.store.client.query({
      query: `SELECT DISTINCT partition FROM system.parts WHERE database = '${s.database}' AND table = 'flows' AND active ORDER BY partition`,
      format: "JSONEachRow",
    });
    const parts = (await rs.json<{ partition: string }>()).map((p) => p.partition);
    const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll("-", "");
    expect(parts).not.toContain(dayOf(now - 10 * day));
    expect(parts).toContain(dayOf(now - 5 * day));
    expect(parts).toContain(dayOf(now - 3600_000));
  });

  it("survives Kafka going away for a while and goes on where it was", async () => {
    const s = await scenario("kafkadown");
    const d = await s.start();
    await s.produce(flows(3000));
    await waitFor("first flows stored", s.counts, (c) => c.distinct === 3000, 30_000);
    await kafka.stop();
    await new Promise((r) => setTimeout(r, 8000));
    await kafka.start();
    await s.produce(flows(3000, 3000));
    await waitFor("later flows stored", s.counts, (c) => c.distinct === 6000, 90_000);
    expect(d.proc.exitCode).toBeNull();
    expect((await s.counts()).uuids).toBe(6000);
    expect(await s.rollupFlows()).toBe(6000);
  }, 180_000);

  it("pauses while ClickHouse is down under load, then catches up with nothing lost", async () => {
    const s = await scenario("chdown");
    const d = await s.start(["--batch-rows", "2000", "--retry-max-backoff", "1s"]);
    let sent = 0;
    let producing = true;
    const load = (async () => {
      while (producing) {
        await s.produce(flows(500, sent));
        sent += 500;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await waitFor("flowing", s.counts, (c) => c.distinct >= 2000, 30_000);
    await ch.stop();
    try {
      await waitFor(
        "paused",
        () => d.metric("flowlens_ingester_paused"),
        (v) => v === 1,
        20_000,
      );
      await new Promise((r) => setTimeout(r, 12_000));
      expect(await d.metric("flowlens_ingester_paused")).toBe(1);
      expect(await d.metric("flowlens_ingester_insert_errors_total", { kind: "transient" })).toBeGreaterThan(0);
    } finally {
      await ch.start();
    }
    await new Promise((r) => setTimeout(r, 2000));
    producing = false;
    await load;
    await waitFor("caught up", s.counts, (c) => c.distinct === sent, 90_000);
    expect((await s.counts()).uuids).toBe(sent);
    // An insert's flows rows are visible before its view writes their rollup part: give the last one a moment.
    await waitFor("rollup caught up", s.rollupFlows, (n) => n >= sent, 10_000).catch(() => {});
    expect(await s.rollupFlows()).toBe(sent);
    await waitFor(
      "resumed",
      () => d.metric("flowlens_ingester_paused"),
      (v) => v === 0,
      10_000,
    );
    expect(await d.metric("flowlens_ingester_insert_retries_total")).toBeGreaterThan(0);
    await waitFor(
      "lag 0",
      () => d.metric("flowlens_ingester_consumer_lag"),
      (v) => v === 0,
      20_000,
    );
  }, 180_000);
});
