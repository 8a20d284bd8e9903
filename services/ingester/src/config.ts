// Command-line flags of flowlens-ingester -> validated configuration (run, or `migrate` only).
import { addClickHouseAuthOptions, addKafkaAuthOptions, clickhouseAuthFrom, type KafkaAuth, kafkaAuthFrom } from "@flowlens/credentials";
import {
  daemonCommand,
  type LogLevel,
  logLevelOf,
  metricsAddressArg,
  nonNegativeInt,
  parsePositiveDurationMs,
  positiveInt,
} from "@flowlens/runtime";
import { InvalidArgumentError } from "commander";

export interface IngesterConfig {
  command: "run" | "migrate";
  kafkaBrokers: string[];
  /** TLS and SASL toward the brokers (kafkajs' ssl/sasl). */
  kafkaAuth: KafkaAuth;
  topic: string;
  dlqTopic: string;
  groupId: string;
  clickhouseUrl: string;
  clickhouseUser: string;
  clickhousePassword: string;
  clickhouseDatabase: string;
  metricsAddress: string;
  batchRows: number;
  batchMaxWaitMs: number;
  retryMaxBackoffMs: number;
  retentionDays: number;
  /** days kept per rollup table (0 keeps everything) */
  rollupRetentionDays: { flows_minute: number; flows_5m: number; flows_1h: number };
  retentionIntervalMs: number;
  lagIntervalMs: number;
  sessionTimeoutMs: number;
  logLevel: LogLevel;
}

/** Comma-separated host:port list. */
export function parseBrokers(v: string): string[] {
  const list = v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw new InvalidArgumentError("--kafka-brokers needs at least one host:port");
  for (const b of list) {
    const m = /^(.+):(\d{1,5})$/.exec(b);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new InvalidArgumentError(`Kafka broker "${b}" must be host:port`);
  }
  return list;
}

function parseUrl(v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new InvalidArgumentError(`--clickhouse-url "${v}" is not a URL (example: http://127.0.0.1:8123)`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new InvalidArgumentError(`--clickhouse-url "${v}" must be http:// or https://`);
  return v;
}

function parseTopic(name: string) {
  return (v: string): string => {
    if (!/^[a-zA-Z0-9._-]{1,249}$/.test(v)) throw new InvalidArgumentError(`${name} "${v}" is not a Kafka topic name`);
    return v;
  };
}

export function parseIngesterArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): IngesterConfig {
  const cmd = daemonCommand(
    "flowlens-ingester",
    "Flowlens ingester: flows from Kafka into ClickHouse, offsets committed after the rows are stored",
  )
    .argument("[command]", '"run" (default) or "migrate" (apply the ClickHouse schema and exit)')
    .option("--kafka-brokers <list>", "Kafka bootstrap brokers, host:port[,host:port]", parseBrokers, ["127.0.0.1:9092"])
    .option("--topic <name>", "flows topic", parseTopic("--topic"), "flowlens.flows")
    .option("--dlq-topic <name>", "dead-letter topic for records that cannot be stored", parseTopic("--dlq-topic"), "flowlens.flows.dlq")
    .option("--group-id <id>", "Kafka consumer group", "flowlens-ingester")
    .option("--clickhouse-url <url>", "ClickHouse HTTP URL", parseUrl, "http://127.0.0.1:8123")
    .option("--clickhouse-database <name>", "ClickHouse database", "flowlens")
    .option("--metrics-address <addr>", 'Prometheus /metrics address ("" disables)', metricsAddressArg, "127.0.0.1:9967")
    .option("--batch-rows <n>", "rows per ClickHouse insert (10000-100000 is the sweet spot)", positiveInt("--batch-rows"), 50_000)
    .option("--batch-max-wait <duration>", "longest a consumed flow waits for its batch", parsePositiveDurationMs, 1000)
    .option("--retry-max-backoff <duration>", "longest wait between insert retries", parsePositiveDurationMs, 30_000)
    .option(
      "--retention-days <n>",
      "drop raw flows' day partitions older than this (0 keeps everything)",
      nonNegativeInt("--retention-days"),
      7,
    )
    .option("--retention-minute-days <n>", "days of flows_minute kept (0 keeps everything)", nonNegativeInt("--retention-minute-days"), 30)
    .option("--retention-5m-days <n>", "days of flows_5m kept (0 keeps everything)", nonNegativeInt("--retention-5m-days"), 90)
    .option("--retention-1h-days <n>", "days of flows_1h kept (0 keeps everything)", nonNegativeInt("--retention-1h-days"), 400)
    .option("--retention-interval <duration>", "how often retention runs", parsePositiveDurationMs, 3_600_000)
    .option("--lag-interval <duration>", "how often consumer lag is sampled", parsePositiveDurationMs, 5000)
    .option(
      "--session-timeout <duration>",
      "consumer group session: a member silent this long (e.g. killed) loses its partitions",
      parsePositiveDurationMs,
      30_000,
    );
  addKafkaAuthOptions(cmd);
  addClickHouseAuthOptions(cmd);
  cmd.parse(argv, { from: "user" });
  const c = cmd.args[0];
  if (c !== undefined && c !== "run" && c !== "migrate") throw new Error(`unknown command "${c}" (use "run" or "migrate")`);
  const command: IngesterConfig["command"] = c === "migrate" ? "migrate" : "run";
  const o = cmd.opts();
  const clickhouse = clickhouseAuthFrom(o, o.clickhouseUrl, env);
  return {
    command,
    kafkaBrokers: o.kafkaBrokers,
    kafkaAuth: kafkaAuthFrom(o, env),
    topic: o.topic,
    dlqTopic: o.dlqTopic,
    groupId: o.groupId,
    clickhouseUrl: o.clickhouseUrl,
    clickhouseUser: clickhouse.username,
    clickhousePassword: clickhouse.password,
    clickhouseDatabase: o.clickhouseDatabase,
    metricsAddress: o.metricsAddress,
    batchRows: o.batchRows,
    batchMaxWaitMs: o.batchMaxWait,
    retryMaxBackoffMs: o.retryMaxBackoff,
    retentionDays: o.retentionDays,
    rollupRetentionDays: { flows_minute: o.retentionMinuteDays, flows_5m: o.retention5mDays, flows_1h: o.retention1hDays },
    retentionIntervalMs: o.retentionInterval,
    lagIntervalMs: o.lagInterval,
    sessionTimeoutMs: o.sessionTimeout,
    logLevel: logLevelOf(cmd),
  };
}
