// Command-line flags of flowlens-collector -> validated configuration.
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";
import { DEFAULT_ADMIN_SOCKET } from "@flowlens/proto";
import {
  daemonCommand,
  flagsCommand,
  type LogLevel,
  logLevelOf,
  metricsAddressArg,
  normalizeListenAddress,
  parseDurationMs,
  positiveInt,
  type TlsFiles,
  tlsFilesArg,
} from "@flowlens/runtime";
import { InvalidArgumentError } from "commander";

export interface CollectorConfig {
  endpoints?: string;
  interfaces: string[];
  nodeName: string;
  listenAddress: string;
  bufferSize: number;
  metricsAddress: string;
  bpfObject: string;
  ringBufferBytes: number;
  flowMapEntries: number;
  reportIntervalMs: number;
  flowIdleTimeoutMs: number;
  drainIntervalMs: number;
  /** Server certificate, key and the CA clients' certificates must chain to (mTLS); all or none. */
  tls?: TlsFiles;
  /** bpffs directory of the pinned maps and links (enforcement outlives the collector). */
  pinPath: string;
  /** Node-local state (persisted policies). */
  stateDir: string;
  /** --policies FILE|DIR: policies read at start and re-read when they change. */
  policies?: string;
  /** --policy-audit-mode: every policy deny only audits (verdict AUDIT, traffic passes). */
  policyAuditMode: boolean;
  /** Root-only unix socket of the mutating Policies/Endpoints calls ("" = none). */
  adminSocket: string;
  /** mTLS client certificate names (CN or SAN) that may also make those calls on the TCP listener. */
  adminClientNames: string[];
  logLevel: LogLevel;
}

export const DEFAULT_PIN_PATH = "/sys/fs/bpf/flowlens";
export const DEFAULT_STATE_DIR = "/var/lib/flowlens";

/** A pin path must be an absolute path inside a bpffs mount (conventionally under /sys/fs/bpf). */
function pinPathArg(v: string): string {
  if (!v.startsWith("/") || v.split("/").includes("..") || v.replace(/\/+$/, "") === "/sys/fs/bpf")
    throw new InvalidArgumentError(`--pin-path must be an absolute directory below the bpffs mount, e.g. /sys/fs/bpf/flowlens, got "${v}"`);
  return v.replace(/\/+$/, "");
}

function stateDirArg(v: string): string {
  if (!v.startsWith("/")) throw new InvalidArgumentError(`--state-dir must be an absolute path, got "${v}"`);
  return v.replace(/\/+$/, "") || "/";
}

function adminSocketArg(v: string): string {
  if (v === "") return v;
  if (!v.startsWith("/") || v.endsWith("/") || v.split("/").includes(".."))
    throw new InvalidArgumentError(`--admin-socket must be an absolute socket path (or "" for none), got "${v}"`);
  return v;
}

/** Comma-separated and repeatable: "a,b" --admin-client-names c. */
function clientNamesArg(v: string, acc: string[]): string[] {
  const names = v.split(",").map((n) => n.trim());
  if (names.some((n) => n === ""))
    throw new InvalidArgumentError(`--admin-client-names takes certificate names separated by commas, got "${v}"`);
  return [...acc, ...names];
}

export interface UninstallConfig {
  pinPath: string;
  stateDir: string;
}

/** `flowlens-collector uninstall [--pin-path P] [--state-dir D]` (argv after "uninstall"). */
export function parseUninstallArgs(argv: string[]): UninstallConfig {
  const cmd = flagsCommand(
    "flowlens-collector uninstall",
    "Removes what outlives the collector: tc filters of its endpoints, socket-hook links, pinned maps (and stops the L7 proxy)",
  )
    .option("--pin-path <dir>", "bpffs directory of the pinned maps and links", pinPathArg, DEFAULT_PIN_PATH)
    .option("--state-dir <dir>", "node-local state directory", stateDirArg, DEFAULT_STATE_DIR);
  cmd.parse(argv, { from: "user" });
  const o = cmd.opts();
  return { pinPath: o.pinPath, stateDir: o.stateDir };
}

const DEFAULT_OBJECT = fileURLToPath(new URL("../../../bpf/.output/flowlens.bpf.o", import.meta.url));

export function parseCollectorArgs(argv: string[]): CollectorConfig {
  const cmd = daemonCommand(
    "flowlens-collector",
    "Flowlens node collector: eBPF flows from local endpoints, served over Hubble's Observer API",
  )
    .option("--endpoints <file>", "endpoints file (YAML or JSON), re-read when it changes")
    .option("--interface <name>", "also observe this host interface (repeatable)", (v, acc: string[]) => [...acc, v], [])
    .option("--node-name <name>", "node name in flows", hostname())
    .option("--listen-address <addr>", "gRPC address (host:port or unix:/path)", normalizeListenAddress, "127.0.0.1:4244")
    .option("--buffer-size <n>", "flows kept in the live ring", positiveInt("--buffer-size"), 4095)
    .option("--metrics-address <addr>", 'Prometheus /metrics address ("" disables)', metricsAddressArg, "127.0.0.1:9965")
    .option("--bpf-object <path>", "compiled BPF object", DEFAULT_OBJECT)
    .option("--ring-buffer-bytes <n>", "kernel ring buffer size (power of 2, >= 4096)", positiveInt("--ring-buffer-bytes"), 4 * 1024 * 1024)
    .option("--flow-map-entries <n>", "kernel flow table size", positiveInt("--flow-map-entries"), 65536)
    .option("--report-interval <duration>", "counter update interval of long flows", parseDurationMs, 5000)
    .option("--flow-idle-timeout <duration>", "a flow without packets this long ends", parseDurationMs, 15000)
    .option("--drain-interval <duration>", "longest wait for batched ring-buffer records", parseDurationMs, 50)
    .option("--tls-cert <file>", "server certificate (PEM); with --tls-key and --tls-ca, clients must present a certificate")
    .option("--tls-key <file>", "server private key (PEM)")
    .option("--tls-ca <file>", "CA that signs client certificates (PEM)")
    .option("--pin-path <dir>", "bpffs directory of the pinned maps and links", pinPathArg, DEFAULT_PIN_PATH)
    .option("--state-dir <dir>", "node-local state (persisted policies)", stateDirArg, DEFAULT_STATE_DIR)
    .option("--policies <file|dir>", "CiliumNetworkPolicy YAML file or directory (*.yaml, *.yml, *.json), re-read when it changes")
    .option("--policy-audit-mode", "audit every policy: would-be drops pass and are reported with verdict AUDIT", false)
    .option(
      "--admin-socket <path>",
      'root-only unix socket for policy and endpoint changes ("" disables it)',
      adminSocketArg,
      DEFAULT_ADMIN_SOCKET,
    )
    .option(
      "--admin-client-names <names>",
      "mTLS client certificate names (CN or SAN, comma-separated, repeatable) that may change policy and endpoints over --listen-address",
      clientNamesArg,
      [],
    );
  cmd.parse(argv, { from: "user" });
  const o = cmd.opts();
  const ring = o.ringBufferBytes as number;
  if (ring < 4096 || (ring & (ring - 1)) !== 0)
    throw new InvalidArgumentError(`--ring-buffer-bytes must be a power of 2 and at least 4096, got ${ring}`);
  const tls = tlsFilesArg("--tls", o.tlsCert, o.tlsKey, o.tlsCa);
  if (o.adminClientNames.length && !tls)
    throw new Error("--admin-client-names needs mTLS on the listener: give --tls-cert, --tls-key and --tls-ca");
  return {
    endpoints: o.endpoints,
    interfaces: o.interface,
    nodeName: o.nodeName,
    listenAddress: o.listenAddress,
    bufferSize: o.bufferSize,
    metricsAddress: o.metricsAddress,
    bpfObject: o.bpfObject,
    ringBufferBytes: ring,
    flowMapEntries: o.flowMapEntries,
    reportIntervalMs: o.reportInterval,
    flowIdleTimeoutMs: o.flowIdleTimeout,
    drainIntervalMs: o.drainInterval,
    tls,
    pinPath: o.pinPath,
    stateDir: o.stateDir,
    policies: o.policies,
    policyAuditMode: o.policyAuditMode === true,
    adminSocket: o.adminSocket,
    adminClientNames: o.adminClientNames,
    logLevel: logLevelOf(cmd),
  };
}
