// Runs a real single-node Kafka broker (infra/kafka/kafka.sh) per test suite on free ports with a temporary data dir.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { freePort } from "./collector.js";
import { run } from "./run.js";
import { REPO_ROOT } from "./topology.js";

export const KAFKA_DIR = resolve(REPO_ROOT, "infra/kafka");
export const FLOWS_TOPIC = "flowlens.flows";
export const DLQ_TOPIC = "flowlens.flows.dlq";

export interface KafkaOptions {
  /** num.partitions and the partitions of flowlens.flows (default 6, as in infra/kafka/topics.json). */
  partitions?: number;
  /** How long start() waits for the broker to answer (default 60 s). */
  timeoutMs?: number;
  /** Also a SASL_PLAINTEXT listener (SASL/PLAIN) on its own free port, for these user → password logins. */
  saslUsers?: Record<string, string>;
  /** With saslUsers: also a SASL_SSL listener whose key and certificate chain are in this PEM file. */
  tlsKeystorePem?: string;
}

export interface KafkaServer {
  /** "127.0.0.1:<port>", for kafkajs `brokers` or a `--kafka-brokers` flag. */
  brokers: string;
  port: number;
  controllerPort: number;
  /** "127.0.0.1:<port>" of the SASL_PLAINTEXT listener, when started with saslUsers. */
  saslBrokers?: string;
  /** "127.0.0.1:<port>" of the SASL_SSL listener, when started with tlsKeystorePem. */
  saslTlsBrokers?: string;
  /** The broker's data, logs and pid file; removed by destroy(). */
  dataDir: string;
  /** Starts the broker again on the same ports and data (after stop/kill) and waits until it answers. */
  start(): Promise<void>;
  /** Stops the broker gracefully (SIGTERM), keeping its data: clients see it down and reconnect after start(). */
  stop(): Promise<void>;
  /** Kills the broker with SIGKILL (a crash), keeping its data. */
  kill(): Promise<void>;
  /** Freezes the broker (SIGSTOP): connections stay open but nothing answers, like a hung broker. */
  pause(): Promise<void>;
  /** Unfreezes a paused broker (SIGCONT). */
  resume(): Promise<void>;
  /** stop() then start(). */
  restart(): Promise<void>;
  /** Creates flowlens.flows and flowlens.flows.dlq (infra/kafka/topics.json) if missing. */
  createTopics(): Promise<void>;
  /** Whether the broker process is alive (paused counts as alive). */
  running(): boolean;
  /** The last lines of the broker's log, for failure messages. */
  logTail(lines?: number): string;
  /** Stops the broker and removes its data dir; safe to call twice. */
  destroy(): Promise<void>;
  /** Milliseconds the first start took (process launch to first answered metadata request). */
  startupMs: number;
}

// Brokers alive in this process, killed and removed synchronously if the test process exits without destroy().
const live = new Map<string, () => number | undefined>();
process.on("exit", () => {
  for (const [dir, pidOf] of live) {
    const pid = pidOf();
    if (pid !== undefined) signal(pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Starts a fresh broker on free ports with its own temporary data dir; resolves once it answers requests. */
export async function startKafka(opts: KafkaOptions = {}): Promise<KafkaServer> {
  // A port found free can be taken by another process before the broker binds it: try new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startKafkaOnce(opts);
    } catch (e) {
      if (attempt >= 3 || !/Address already in use/.test((e as Error).message)) throw e;
    }
  }
}

async function startKafkaOnce(opts: KafkaOptions): Promise<KafkaServer> {
  const partitions = opts.partitions ?? 6;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const port = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === port) controllerPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "flowlens-kafka-"));
  const brokers = `127.0.0.1:${port}`;
  const sasl: Record<string, string> = {};
  if (opts.saslUsers) {
    let saslPort = await freePort();
    while (saslPort === port || saslPort === controllerPort) saslPort = await freePort();
    const usersFile = join(dataDir, "sasl-users");
    writeFileSync(
      usersFile,
      Object.entries(opts.saslUsers)
        .map(([u, p]) => `${u}:${p}\n`)
        .join(""),
      { mode: 0o600 },
    );
    Object.assign(sasl, { KAFKA_SASL_PORT: String(saslPort), KAFKA_SASL_USERS_FILE: usersFile });
    if (opts.tlsKeystorePem) {
      let tlsPort = await freePort();
      while ([port, controllerPort, saslPort].includes(tlsPort)) tlsPort = await freePort();
      Object.assign(sasl, { KAFKA_SASL_TLS_PORT: String(tlsPort), KAFKA_TLS_KEYSTORE_PEM: opts.tlsKeystorePem });
    }
  }
  const env = {
    ...process.env,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_DATA_DIR: dataDir,
    KAFKA_PARTITIONS: String(partitions),
    KAFKA_FLOWS_PARTITIONS: String(partitions),
    KAFKA_WAIT_TIMEOUT: String(Math.ceil(timeoutMs / 1000)),
    // If this test process is killed before destroy(), kafka.sh's watcher stops the broker and deletes the dir.
    KAFKA_OWNER_PID: String(process.pid),
    KAFKA_OWNER_REMOVES_DATA: "1",
    ...sasl,
  };
  const script = (cmd: string) => run(["bash", join(KAFKA_DIR, "kafka.sh"), cmd], { env, timeoutMs: timeoutMs + 30_000 });
  const pid = (): number | undefined => {
    const file = join(dataDir, "kafka.pid");
    if (!existsSync(file)) return undefined;
    const n = Number(readFileSync(file, "utf8").trim());
    return n > 0 && signal(n, 0) ? n : undefined;
  };
  const logTail = (lines = 20) => {
    const file = join(dataDir, "logs/server.log");
    return existsSync(file) ? readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n") : "";
  };
  const start = async () => {
    await script("start");
    await script("wait");
  };
  const stop = async () => {
    await script("stop");
  };
  live.set(dataDir, pid);
  let destroyed = false;
  const server: KafkaServer = {
    brokers,
    port,
    controllerPort,
    saslBrokers: sasl.KAFKA_SASL_PORT ? `127.0.0.1:${sasl.KAFKA_SASL_PORT}` : undefined,
    saslTlsBrokers: sasl.KAFKA_SASL_TLS_PORT ? `127.0.0.1:${sasl.KAFKA_SASL_TLS_PORT}` : undefined,
    dataDir,
    startupMs: 0,
    start,
    stop,
    async kill() {
      const p = pid();
      if (p === undefined) return;
      signal(p, "SIGKILL");
      while (signal(p, 0)) await new Promise((r) => setTimeout(r, 50));
    },
    async pause() {
      const p = pid();
      if (p === undefined) throw new Error(`kafka on ${brokers} is not running; cannot pause it`);
      signal(p, "SIGSTOP");
    },
    async resume() {
      const p = pid();
      if (p !== undefined) signal(p, "SIGCONT");
    },
    async restart() {
      await stop();
      await start();
    },
    async createTopics() {
      await run(["node", join(KAFKA_DIR, "topics.mjs"), brokers], { env });
    },
    running: () => pid() !== undefined,
    logTail,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await server.resume();
      await stop().catch(() => server.kill());
      live.delete(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  const t0 = performance.now();
  try {
    await start();
  } catch (err) {
    await server.destroy();
    throw err;
  }
  server.startupMs = Math.round(performance.now() - t0);
  return server;
}

/** A kafkajs client for a test broker that logs nothing (the harness reports failures itself). */
export function kafkaClient(brokers: string, clientId = "flowlens-test"): Kafka {
  return new Kafka({ clientId, brokers: brokers.split(","), logLevel: logLevel.NOTHING });
}

/** Number of records currently in a topic (sum over partitions of high watermark minus low watermark). */
export async function countRecords(brokers: string, topic: string): Promise<number> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Produces records (acks from all in-sync replicas), e.g. poison records for the ingester's dead-letter test. */
export async function produceRecords(
  brokers: string,
  topic: string,
  records: { key?: string | Buffer | null; value: string | Buffer | null }[],
): Promise<void> {
  const producer = kafkaClient(brokers).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: records });
  } finally {
    await producer.disconnect();
  }
}

export interface ConsumedRecord {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Reads a topic from the beginning with a fresh consumer group until `count` records arrived or the timeout. */
export async function readRecords(brokers: string, topic: string, count: number, timeoutMs = 20_000): Promise<ConsumedRecord[]> {
  const consumer = kafkaClient(brokers).consumer({ groupId: `flowlens-test-${process.pid}-${Date.now()}` });
  const got: ConsumedRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`read ${got.length} of ${count} records from ${topic} in ${timeoutMs} ms`)), timeoutMs);
      if (count === 0) {
        clearTimeout(timer);
        done();
      }
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
            got.push({ partition, offset: message.offset, key: message.key, value: message.value, headers });
            if (got.length >= count) {
              clearTimeout(timer);
              done();
            }
          },
        })
        .catch(fail);
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}
