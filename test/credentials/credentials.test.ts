// Secrets and Kafka authentication end to end: a real broker with a SASL_PLAINTEXT listener (SASL/PLAIN,
// one test user) and a real ClickHouse with a writer password. The relay produces and the ingester
// consumes through that listener with the passwords read from files; a wrong password stores nothing
// and says why in its log; the relay's direct mode stores with the password from the environment; a
// password on the command line is refused in one line.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFlowStore } from "@flowlens/clickhouse";
import { FakeNode, testFlow } from "@flowlens/relay/testkit";
import { type ClickHouseServer, startClickHouse } from "@flowlens/test-harness/clickhouse";
import { countRecords, type KafkaServer, kafkaClient, produceRecords, readRecords, startKafka } from "@flowlens/test-harness/kafka";
import { spawnBackground } from "@flowlens/test-harness/pods";
import { type Certs, type Daemon, makeCerts, RELAY_BIN, startRelay } from "@flowlens/test-harness/relay";
import { run, waitFor } from "@flowlens/test-harness/run";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INGESTER_BIN, startIngester } from "../ingester/daemon.js";
import { flowRecord, syntheticFlow } from "../ingester/flows.js";

const USER = "flowlens";
const KAFKA_PASSWORD = "kafka-pw-81a3";
const CH_PASSWORD = "ch-pw-5e02";
let kafka: KafkaServer;
let ch: ClickHouseServer;
let dir: string;
let certs: Certs;
const secrets = { kafka: "", wrongKafka: "", clickhouse: "" };
const daemons: { stop(): Promise<unknown> }[] = [];
const node = new FakeNode("sasl-node");

async function createTopic(topic: string): Promise<void> {
  const admin = kafkaClient(kafka.brokers).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
}

const sasl = (passwordFile: string) => [
  "--kafka-brokers",
  kafka.saslBrokers as string,
  "--kafka-sasl-mechanism",
  "plain",
  "--kafka-sasl-username",
  USER,
  "--kafka-sasl-password-file",
  passwordFile,
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "flowlens-secrets-"));
  certs = await makeCerts();
  const keystore = join(dir, "broker.pem"); // the broker's key, then its certificate
  writeFileSync(keystore, Buffer.concat([certs.read(certs.serverKey), certs.read(certs.serverCert)]), { mode: 0o600 });
  [kafka, ch] = await Promise.all([
    startKafka({ partitions: 2, saslUsers: { [USER]: KAFKA_PASSWORD }, tlsKeystorePem: keystore }),
    startClickHouse({ password: CH_PASSWORD }),
  ]);
  for (const [k, v] of [
    ["kafka", `${KAFKA_PASSWORD}\n`],
    ["wrongKafka", "not-the-password\n"],
    ["clickhouse", `${CH_PASSWORD}\n`],
  ] as const) {
    secrets[k] = join(dir, k);
    writeFileSync(secrets[k], v, { mode: 0o600 });
  }
  const t0 = Date.now() - 10_000;
  for (let i = 0; i < 40; i++) node.flows.push(testFlow("sasl-node", `sasl-${i}`, t0 + i * 10, 2000 + i));
  await node.start();
}, 180_000);

afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop().catch(() => {})));
  node.stop();
  await Promise.all([kafka?.destroy(), ch?.destroy()]);
  rmSync(dir, { recursive: true, force: true });
  certs?.remove();
}, 120_000);

describe("relay → Kafka over SASL/PLAIN", () => {
  it("produces every flow with the password from --kafka-sasl-password-file", async () => {
    await createTopic("sasl.relay.ok");
    const relay: Daemon = await startRelay([
      "--peers",
      node.address,
      ...sasl(secrets.kafka),
      "--kafka-topic",
      "sasl.relay.ok",
      "--sort-buffer-drain-timeout",
      "200ms",
    ]);
    daemons.push(relay);
    expect(relay.output()).toContain("(plaintext, SASL/PLAIN as flowlens)");
    const records = await readRecords(kafka.brokers, "sasl.relay.ok", 40, 30_000);
    expect(records).toHaveLength(40);
  });

  it("with a wrong password produces nothing and logs the authentication failure", async () => {
    await createTopic("sasl.relay.wrong");
    const relay = await startRelay([
      "--peers",
      node.address,
      ...sasl(secrets.wrongKafka),
      "--kafka-topic",
      "sasl.relay.wrong",
      "--sort-buffer-drain-timeout",
      "200ms",
    ]);
    daemons.push(relay);
    await waitFor("the relay's export error", async () => /export: .*SASL PLAIN authentication failed/i.test(relay.output()), 30_000);
    expect(await countRecords(kafka.brokers, "sasl.relay.wrong")).toBe(0);
    expect(relay.output()).not.toContain("not-the-password");
  });
});

describe("relay → Kafka over TLS and SASL/PLAIN (SASL_SSL)", () => {
  const tls = (extra: string[]) => [
    ...sasl(secrets.kafka).map((a) => (a === kafka.saslBrokers ? (kafka.saslTlsBrokers as string) : a)),
    ...extra,
  ];

  it("produces every flow, the broker's certificate checked against --kafka-tls-ca-file", async () => {
    await createTopic("sasl.tls.ok");
    const relay = await startRelay([
      "--peers",
      node.address,
      ...tls(["--kafka-tls-ca-file", certs.ca]),
      "--kafka-topic",
      "sasl.tls.ok",
      "--sort-buffer-drain-timeout",
      "200ms",
    ]);
    daemons.push(relay);
    expect(relay.output()).toContain("(TLS, SASL/PLAIN as flowlens)");
    expect(await readRecords(kafka.brokers, "sasl.tls.ok", 40, 30_000)).toHaveLength(40);
  });

  it("refuses a broker certificate the system's CAs do not sign, and says so", async () => {
    await createTopic("sasl.tls.untrusted");
    const relay = await startRelay([
      "--peers",
      node.address,
      ...tls(["--kafka-tls"]),
      "--kafka-topic",
      "sasl.tls.untrusted",
      "--sort-buffer-drain-timeout",
      "200ms",
    ]);
    daemons.push(relay);
    await waitFor(
      "the relay's TLS error",
      async () => /export: .*(self[- ]signed|unable to verify|certificate)/i.test(relay.output()),
      30_000,
    );
    expect(await countRecords(kafka.brokers, "sasl.tls.untrusted")).toBe(0);
  });
});

describe("Kafka over SASL/PLAIN → ingester → ClickHouse with a password", () => {
  it("stores every flow, Kafka and ClickHouse passwords read from files", async () => {
    await createTopic("sasl.ingest.ok");
    await produceRecords(
      kafka.brokers,
      "sasl.ingest.ok",
      Array.from({ length: 30 }, (_, i) => flowRecord(syntheticFlow(i))),
    );
    const ing = await startIngester([
      ...sasl(secrets.kafka),
      "--topic",
      "sasl.ingest.ok",
      "--group-id",
      "sasl-ok",
      "--clickhouse-url",
      ch.url,
      "--clickhouse-password-file",
      secrets.clickhouse,
      "--clickhouse-database",
      "sasl_ok",
      "--batch-max-wait",
      "300ms",
    ]);
    daemons.push(ing);
    const store = createFlowStore({ url: ch.url, database: "sasl_ok", password: CH_PASSWORD });
    try {
      await waitFor("30 rows in ClickHouse", async () => (await store.countFlows()) === 30, 30_000);
    } finally {
      await store.close();
    }
  });

  it("with a wrong Kafka password consumes nothing and logs the authentication failure", async () => {
    const p = spawnBackground([
      process.execPath,
      INGESTER_BIN,
      ...sasl(secrets.wrongKafka),
      "--topic",
      "sasl.ingest.ok",
      "--group-id",
      "sasl-wrong",
      "--clickhouse-url",
      ch.url,
      "--clickhouse-password-file",
      secrets.clickhouse,
      "--clickhouse-database",
      "sasl_wrong",
      "--metrics-address",
      "",
    ]);
    daemons.push({ stop: () => p.kill() });
    await waitFor(
      "the ingester's consumer error",
      async () => /start consumer on .*SASL PLAIN authentication failed/i.test(p.output()),
      30_000,
    );
    expect(p.output()).not.toMatch(/flowlens-ingester .*\(group /);
  });

  it("without the ClickHouse password, says ClickHouse refused the login", async () => {
    const p = spawnBackground([
      process.execPath,
      INGESTER_BIN,
      "migrate",
      "--clickhouse-url",
      ch.url,
      "--clickhouse-database",
      "sasl_nopw",
    ]);
    const code = await p.exited;
    expect(code).toBe(1);
    expect(p.output()).toMatch(/flowlens-ingester: .*(Password required|Authentication failed|password is incorrect)/i);
  });
});

describe("relay direct mode → ClickHouse with a password", () => {
  it("stores every flow with the password from FLOWLENS_CLICKHOUSE_PASSWORD", async () => {
    process.env.FLOWLENS_CLICKHOUSE_PASSWORD = CH_PASSWORD; // inherited by the relay spawned now
    let relay: Daemon;
    try {
      relay = await startRelay(["--peers", node.address, "--clickhouse-url", ch.url, "--sort-buffer-drain-timeout", "200ms"]);
    } finally {
      delete process.env.FLOWLENS_CLICKHOUSE_PASSWORD;
    }
    daemons.push(relay);
    const store = createFlowStore({ url: ch.url, password: CH_PASSWORD });
    try {
      await waitFor("40 flows in ClickHouse", async () => (await store.countFlows().catch(() => 0)) === 40, 30_000);
    } finally {
      await store.close();
    }
  });
});

describe("passwords on the command line", () => {
  it.each([
    [
      RELAY_BIN,
      ["--peers", "127.0.0.1:1", "--clickhouse-url", "http://127.0.0.1:8123", "--clickhouse-password", "hunter2"],
      "--clickhouse-password",
    ],
    [RELAY_BIN, ["--peers", "127.0.0.1:1", "--clickhouse-url", "http://default:hunter2@127.0.0.1:8123"], "a password in --clickhouse-url"],
    [RELAY_BIN, ["--peers", "127.0.0.1:1", "--kafka-brokers", "127.0.0.1:1", "--kafka-sasl-password=hunter2"], "--kafka-sasl-password"],
    [INGESTER_BIN, ["--clickhouse-password", "hunter2"], "--clickhouse-password"],
    [
      INGESTER_BIN,
      ["--kafka-sasl-mechanism", "plain", "--kafka-sasl-username", "u", "--kafka-sasl-password", "hunter2"],
      "--kafka-sasl-password",
    ],
  ])("%s %j is refused in one line", async (bin, args, flag) => {
    const r = await run([process.execPath, bin, ...args], { allowFail: true, timeoutMs: 15_000 });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`${flag} would put the password on the command line, where every local user can read it`);
    expect(r.stderr).not.toContain("hunter2");
  });
});
