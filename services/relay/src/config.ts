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
import { Command, InvalidArgumentError } from "commander";

export interface TlsFiles {
  cert: string;
  key: string;
  ca: string;
}

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
}

function positiveInt(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got "${v}"`);
    return Number(v);
  };
}

/** "500ms", "5s", "2m" or a bare number of milliseconds. */
export function parseDurationMs(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`"${v}" is not a duration (examples: 500ms, 5s, 2m)`);
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "ms"] ?? 1;
  return Math.round(Number(m[1]) * mult);
}

/** "64MiB", "1GB", "500k" or a bare number of bytes. */
export function parseBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`"${v}" is not a size (examples: 65536, 64MiB, 1GB)`);
  const unit = (m[2] ?? "b").toLowerCase().replace(/b$/, "").replace("i", "");
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit] ?? 1;
  const n = Math.round(Number(m[1]) * mult);
  if (n < 1) throw new InvalidArgumentError(`size "${v}" must be at least 1 byte`);
  return n;
}

/** host:port (":4245" = all addresses), unix:/path or an absolute socket path. */
export function normalizeListenAddress(v: string): string {
  if (v.startsWith("unix:")) return v;
  if (v.startsWith("/")) return `unix:${v}`;
  const m = /^(.*):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65535) throw new InvalidArgumentError(`listen address "${v}" must be host:port or unix:/path`);
  return m[1] === "" ? `0.0.0.0:${m[2]}` : v;
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

function tlsTriple(flag: string, o: Record<string, string | undefined>, cert: string, key: string, ca: string): TlsFiles | undefined {
  const given = [o[cert], o[key], o[ca]].filter(Boolean).length;
  if (given === 0) return undefined;
  if (given !== 3) throw new Error(`${flag}-cert, ${flag}-key and ${flag}-ca go together: give all three or none`);
  return { cert: o[cert] as string, key: o[key] as string, ca: o[ca] as string };
}

export function parseRelayArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const cmd = new Command("flowlens-relay")
    .description(
      "Flowlens relay: merges every collector's flows, serves Hubble's Observer API for the cluster, exports to Kafka or ClickHouse",
    )
    .option("--peers <addrs>", "collectors to follow, host:port[,host:port...] (repeatable)", peerList, [])
    .option("--listen-address <addr>", "gRPC address (host:port or unix:/path)", normalizeListenAddress, "127.0.0.1:4245")
    .option("--node-name <name>", "the relay's name in its own events", `relay-${hostname()}`)
    .option("--metrics-address <addr>", 'Prometheus /metrics address ("" disables)', "127.0.0.1:9966")
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
    .option("--batch-linger <duration>", "how long a partial export batch waits for more flows", parseDurationMs, 50)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showSuggestionAfterError();
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
    tls: tlsTriple("--tls", o, "tlsCert", "tlsKey", "tlsCa"),
    peerTls: tlsTriple("--peer-tls", o, "peerTlsCert", "peerTlsKey", "peerTlsCa"),
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
  };
}
