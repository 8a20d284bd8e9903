// Command-line flags of flowlens-relay -> validated configuration.
import { hostname } from "node:os";
import {
  addClickHouseAuthOptions,
  addKafkaAuthOptions,
  type ClickHouseAuth,
  clickhouseAuthFrom,
  type KafkaAuth,
  kafkaAuthFrom,
} from "@flowlens/credentials";
import {
  daemonCommand,
  type LogLevel,
  logLevelOf,
  metricsAddressArg,
  normalizeListenAddress,
  parseBytes,
  parseDurationMs,
  positiveInt,
  type TlsFiles,
  tlsFilesArg,
} from "@flowlens/runtime";
import { InvalidArgumentError } from "commander";

export interface RelayConfig {
  peers: string[];
  listenAddress: string;
  nodeName: string;
  metricsAddress: string;
  bufferSize: number;
  sortBufferSize: number;
  sortBufferDrainTimeoutMs: number;
  dedupSize: number;
  resumeOverlapMs: number;
  tls?: TlsFiles;
  peerTls?: TlsFiles;
  peerTlsServerName?: string;
  kafkaBrokers: string[];
  /** TLS and SASL toward the brokers (kafkajs' ssl/sasl). */
  kafkaAuth: KafkaAuth;
  kafkaTopic: string;
  kafkaProducers: number;
  clickhouseUrl?: string;
  /** Direct mode's ClickHouse login (password from a file or the environment). */
  clickhouseAuth: ClickHouseAuth;
  bufferFlows: number;
  bufferBytes: number;
  batchFlows: number;
  lingerMs: number;
  logLevel: LogLevel;
}

function peerList(v: string, acc: string[]): string[] {
  const out = [...acc];
  for (const p of v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!p.startsWith("unix:") && !/^.+:\d{1,5}$/.test(p)) throw new InvalidArgumentError(`peer "${p}" must be host:port or unix:/path`);
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

export function parseRelayArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const cmd = daemonCommand(
    "flowlens-relay",
    "Flowlens relay: merges every collector's flows, serves Hubble's Observer API for the cluster, exports to Kafka or ClickHouse",
  )
    .option("--peers <addrs>", "collectors to follow, host:port[,host:port...] (repeatable)", peerList, [])
    .option("--listen-address <addr>", "gRPC address (host:port or unix:/path)", normalizeListenAddress, "127.0.0.1:4245")
    .option("--node-name <name>", "the relay's name in its own events", `relay-${hostname()}`)
    .option("--metrics-address <addr>", 'Prometheus /metrics address ("" disables)', metricsAddressArg, "127.0.0.1:9966")
    .option("--buffer-size <n>", "flows kept in the relay's live ring", positiveInt("--buffer-size"), 65535)
    .option("--sort-buffer-size <n>", "flows held to merge the nodes' streams in time order", positiveInt("--sort-buffer-size"), 100)
    .option("--sort-buffer-drain-timeout <duration>", "longest a flow waits in the sort buffer", parseDurationMs, 1000)
    .option("--dedup-size <n>", "flow uuids remembered per node to drop what a resumed stream repeats", positiveInt("--dedup-size"), 131072)
    .option("--resume-overlap <duration>", "a resumed stream starts this long before the last flow seen", parseDurationMs, 5000)
    .option("--tls-cert <file>", "server certificate (PEM); with --tls-key and --tls-ca clients must present a certificate")
    .option("--tls-key <file>", "server private key (PEM)")
    .option("--tls-ca <file>", "CA that signs client certificates (PEM)")
    .option("--peer-tls-cert <file>", "client certificate toward the collectors (PEM)")
    .option("--peer-tls-key <file>", "client private key toward the collectors (PEM)")
    .option("--peer-tls-ca <file>", "CA that signs the collectors' certificates (PEM)")
    .option("--peer-tls-server-name <name>", "name the collectors' certificates carry, when not their address")
    .option("--kafka-brokers <addrs>", "Kafka bootstrap brokers host:port[,...]; export there", "")
    .option("--kafka-topic <name>", "topic of the flows", "flowlens.flows")
    .option(
      "--kafka-producers <n>",
      "Kafka producers (each one batch in flight; more = more throughput, order kept per producer only)",
      positiveInt("--kafka-producers"),
      2,
    )
    .option("--clickhouse-url <url>", "direct mode: write flows to ClickHouse (HTTP URL) instead of Kafka")
    .option("--buffer-flows <n>", "export buffer bound in flows (beyond: dropped and counted)", positiveInt("--buffer-flows"), 200_000)
    .option("--buffer-bytes <size>", "export buffer bound in bytes", parseBytes, 256 * 1024 * 1024)
    .option("--batch-flows <n>", "largest export batch", positiveInt("--batch-flows"), 5000)
    .option("--batch-linger <duration>", "how long a partial export batch waits for more flows", parseDurationMs, 50);
  addKafkaAuthOptions(cmd);
  addClickHouseAuthOptions(cmd);
  cmd.parse(argv, { from: "user" });
  const o = cmd.opts();
  const clickhouseAuth = clickhouseAuthFrom(o, o.clickhouseUrl, env);
  const kafkaBrokers = (o.kafkaBrokers as string)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (kafkaBrokers.length && o.clickhouseUrl)
    throw new Error("--kafka-brokers and --clickhouse-url exclude each other: Kafka mode or direct mode, not both");
  if (o.clickhouseUrl && !/^https?:\/\//.test(o.clickhouseUrl))
    throw new Error(`--clickhouse-url "${o.clickhouseUrl}" must be an http(s) URL, e.g. http://127.0.0.1:8123`);
  if ((o.peers as string[]).length === 0) throw new Error("--peers is required: the collectors to follow, host:port[,...]");
  return {
    peers: o.peers,
    listenAddress: o.listenAddress,
    nodeName: o.nodeName,
    metricsAddress: o.metricsAddress,
    bufferSize: o.bufferSize,
    sortBufferSize: o.sortBufferSize,
    sortBufferDrainTimeoutMs: o.sortBufferDrainTimeout,
    dedupSize: o.dedupSize,
    resumeOverlapMs: o.resumeOverlap,
    tls: tlsFilesArg("--tls", o.tlsCert, o.tlsKey, o.tlsCa),
    peerTls: tlsFilesArg("--peer-tls", o.peerTlsCert, o.peerTlsKey, o.peerTlsCa),
    peerTlsServerName: o.peerTlsServerName,
    kafkaBrokers,
    kafkaAuth: kafkaAuthFrom(o, env),
    kafkaTopic: o.kafkaTopic,
    kafkaProducers: o.kafkaProducers,
    clickhouseUrl: o.clickhouseUrl,
    clickhouseAuth,
    bufferFlows: o.bufferFlows,
    bufferBytes: o.bufferBytes,
    batchFlows: o.batchFlows,
    lingerMs: o.batchLinger,
    logLevel: logLevelOf(cmd),
  };
}
