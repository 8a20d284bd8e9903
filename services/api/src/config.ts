// Command-line flags of flowlens-api -> validated configuration.
import { DEFAULT_RETENTION_DAYS } from "@flowlens/clickhouse";
import { addClickHouseAuthOptions, clickhouseAuthFrom, resolveSecret } from "@flowlens/credentials";
import { parseDurationNs } from "@flowlens/flow";
import { daemonCommand, type LogLevel, logLevelOf, parsePositiveDurationMs, positiveInt, splitHostPort } from "@flowlens/runtime";
import { InvalidArgumentError } from "commander";
import { readTokensFile } from "./auth.js";

export const DEFAULT_LISTEN = "127.0.0.1:4280";
export const READER_PASSWORD_ENV = "FLOWLENS_CLICKHOUSE_READER_PASSWORD";

export interface ApiConfig {
  host: string;
  port: number;
  clickhouseUrl: string;
  clickhouseDatabase: string;
  clickhouseUser: string;
  clickhousePassword: string;
  readerUser: string;
  readerPassword: string;
  /** undefined: --insecure-no-auth on loopback */
  tokens?: string[];
  corsOrigin?: string;
  maxRangeMs: number;
  queryTimeoutS: number;
  maxMemoryUsage: number;
  sqlMaxRows: number;
  /** days each table keeps (what the ingester's retention flags say), for the aggregations' table choice */
  retentionDays: Record<string, number>;
  logLevel: LogLevel;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "[::1]", "localhost"]);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function parseUrl(v: string): string {
  if (!URL.canParse(v) || !/^https?:$/.test(new URL(v).protocol))
    throw new InvalidArgumentError(`--clickhouse-url "${v}" must be an http:// or https:// URL`);
  return v;
}

// --max-range takes days too (7d), which the runtime's duration parser does not
function rangeArg(v: string): number {
  let ns: bigint;
  try {
    ns = parseDurationNs(v);
  } catch {
    throw new InvalidArgumentError(`--max-range "${v}" is not a duration (examples: 6h, 7d)`);
  }
  if (ns < 1_000_000_000n) throw new InvalidArgumentError(`--max-range "${v}" must be at least 1s`);
  return Number(ns / 1_000_000n);
}

const RETAINED = ["flows", "flows_minute", "flows_5m", "flows_1h"];

/** --retention "flows=7,flows_1h=400": days per table as the ingester keeps them (0: everything). */
export function retentionArg(v: string): Record<string, number> {
  const out: Record<string, number> = { ...DEFAULT_RETENTION_DAYS } as Record<string, number>;
  for (const part of v.split(",").filter((p) => p.trim() !== "")) {
    const m = /^\s*(\w+)\s*=\s*(\d{1,5})\s*$/.exec(part);
    if (!m || !RETAINED.includes(m[1]))
      throw new InvalidArgumentError(`--retention "${part.trim()}" is not table=days with a table of ${RETAINED.join(", ")}`);
    out[m[1]] = Number(m[2]) === 0 ? Number.POSITIVE_INFINITY : Number(m[2]);
  }
  return out;
}

export function parseApiArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const cmd = daemonCommand("flowlens-api", "Flowlens query API: flow history in ClickHouse over HTTP")
    .option("--listen-address <host:port>", "HTTP listen address", DEFAULT_LISTEN)
    .option("--clickhouse-url <url>", "ClickHouse HTTP URL", parseUrl, "http://127.0.0.1:8123")
    .option("--clickhouse-database <name>", "ClickHouse database", "flowlens")
    .option("--clickhouse-reader-user <name>", "read-only ClickHouse user for /api/v1/sql", "flowlens_reader")
    .option("--clickhouse-reader-password-file <file>", `its password file (or set ${READER_PASSWORD_ENV}; default: none)`)
    .option("--tokens-file <file>", "bearer tokens, one per line (required unless --insecure-no-auth on loopback)")
    .option("--insecure-no-auth", "serve without tokens (only on a loopback --listen-address)", false)
    .option("--cors-origin <origin>", "allow this browser origin (CORS is off by default)")
    .option("--max-range <duration>", "longest since..until of /flows", rangeArg, 7 * 86_400_000)
    .option("--query-timeout <duration>", "ClickHouse max_execution_time of API queries", parsePositiveDurationMs, 30_000)
    .option("--max-memory-usage <bytes>", "ClickHouse max_memory_usage of API queries", positiveInt("--max-memory-usage"), 2_000_000_000)
    .option("--sql-max-rows <n>", "most rows /api/v1/sql returns (then limitReached)", positiveInt("--sql-max-rows"), 10_000)
    .option(
      "--retention <table=days,...>",
      "days each table keeps, as the ingester's retention flags (aggregations read only tables that reach back to since)",
      retentionArg,
      retentionArg(""),
    );
  addClickHouseAuthOptions(cmd);
  cmd.parse(argv, { from: "user" });
  const o = cmd.opts();
  const { host, port } = splitHostPort(o.listenAddress, "--listen-address");
  if (o.insecureNoAuth && o.tokensFile) throw new Error("--insecure-no-auth and --tokens-file exclude each other");
  if (o.insecureNoAuth && !isLoopback(host))
    throw new Error(`--insecure-no-auth is only allowed on a loopback address, not ${o.listenAddress}: give --tokens-file`);
  if (!o.insecureNoAuth && !o.tokensFile) throw new Error("--tokens-file is required (or --insecure-no-auth on a loopback address)");
  const auth = clickhouseAuthFrom(o, o.clickhouseUrl, env);
  const readerPassword =
    resolveSecret(
      { fileFlag: "--clickhouse-reader-password-file", file: o.clickhouseReaderPasswordFile, envName: READER_PASSWORD_ENV },
      env,
    ) ?? "";
  return {
    host,
    port,
    clickhouseUrl: o.clickhouseUrl,
    clickhouseDatabase: o.clickhouseDatabase,
    clickhouseUser: auth.username,
    clickhousePassword: auth.password,
    readerUser: o.clickhouseReaderUser,
    readerPassword,
    tokens: o.tokensFile ? readTokensFile(o.tokensFile) : undefined,
    corsOrigin: o.corsOrigin,
    maxRangeMs: o.maxRange,
    queryTimeoutS: Math.max(1, Math.ceil(o.queryTimeout / 1000)),
    maxMemoryUsage: o.maxMemoryUsage,
    sqlMaxRows: o.sqlMaxRows,
    retentionDays: o.retention,
    logLevel: logLevelOf(cmd),
  };
}
