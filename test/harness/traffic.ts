// Traffic between test pods: servers (HTTP, UDP echo, TCP sink, iperf3) and clients (curl, UDP, TCP, ping).
import { resolve } from "node:path";
import type { Pod, Pods, Spawned } from "./pods.js";
import { waitFor } from "./run.js";
import { REPO_ROOT } from "./topology.js";

const SERVERS = resolve(REPO_ROOT, "test/harness/servers");
const script = (name: string) => resolve(SERVERS, name);
type PodRef = string | Pod;

/** "[v6]" for IPv6 literals in URLs, the address as is otherwise. */
export const hostForUrl = (ip: string) => (ip.includes(":") ? `[${ip}]` : ip);

/** Waits until something in the pod listens on TCP (or UDP with proto "udp") port. */
export async function waitForPort(pods: Pods, pod: PodRef, port: number, proto: "tcp" | "udp" = "tcp", timeoutMs = 10_000): Promise<void> {
  const flag = proto === "tcp" ? "-Hltn" : "-Hlun";
  await waitFor(
    `${proto} port ${port} to listen in pod ${typeof pod === "string" ? pod : pod.name}`,
    async () => (await pods.exec(pod, ["ss", flag, `sport = :${port}`])).stdout.trim().length > 0,
    timeoutMs,
  );
}

async function startServer(pods: Pods, pod: PodRef, cmd: string[], port: number, proto: "tcp" | "udp"): Promise<Spawned> {
  const server = pods.spawn(pod, cmd);
  try {
    await waitForPort(pods, pod, port, proto);
  } catch (err) {
    await server.kill();
    throw new Error(`${(err as Error).message}; server output: ${server.output().trim() || "(none)"}`, { cause: err });
  }
  return server;
}

/** HTTP server answering 200 on every path (IPv4 and IPv6). */
export const startHttpServer = (pods: Pods, pod: PodRef, port = 8080) =>
  startServer(pods, pod, ["node", script("http-server.mjs"), String(port)], port, "tcp");

/** "DNS-like" UDP server echoing every datagram (IPv4 and IPv6). */
export const startUdpEcho = (pods: Pods, pod: PodRef, port = 5353) =>
  startServer(pods, pod, ["node", script("udp-echo.mjs"), String(port)], port, "udp");

/** TCP server that reads and discards; its output has "received N" per finished connection. */
export const startTcpSink = (pods: Pods, pod: PodRef, port = 5432) =>
  startServer(pods, pod, ["node", script("tcp-sink.mjs"), String(port)], port, "tcp");

/** iperf3 server (one client at a time). */
export const startIperfServer = (pods: Pods, pod: PodRef, port = 5201) =>
  startServer(pods, pod, ["iperf3", "-s", "-p", String(port)], port, "tcp");

/** curl GET from the pod; returns the HTTP status (0 when no connection) and the body. */
export async function curlGet(pods: Pods, pod: PodRef, url: string, timeoutS = 5): Promise<{ status: number; body: string }> {
  const r = await pods.exec(pod, ["curl", "-sS", "-g", "--max-time", String(timeoutS), "-w", "\n%{http_code}", url], { allowFail: true });
  const at = r.stdout.lastIndexOf("\n");
  return {
    status: Number(r.stdout.slice(at + 1)) || 0,
    body: r.stdout.slice(0, Math.max(at, 0)),
  };
}

/** Sends exactly `bytes` bytes over one TCP connection (then FIN) and waits for the server to close. */
export async function sendTcpBytes(pods: Pods, pod: PodRef, host: string, port: number, bytes: number): Promise<void> {
  await pods.exec(pod, ["node", script("tcp-send.mjs"), host, String(port), String(bytes)]);
}

/** Sends one UDP datagram and returns the reply (rejects after 2 s without one). */
export async function udpQuery(pods: Pods, pod: PodRef, host: string, port: number, payload = "query example.flowlens A"): Promise<string> {
  return (await pods.exec(pod, ["node", script("udp-query.mjs"), host, String(port), payload])).stdout.trim();
}

/** Tries a TCP connection; returns "connected", "ECONNREFUSED", "ETIMEDOUT", ... */
export async function tcpConnect(pods: Pods, pod: PodRef, host: string, port: number): Promise<string> {
  return (await pods.exec(pod, ["node", script("tcp-connect.mjs"), host, String(port)])).stdout.trim();
}

/** A connection attempt to a port nobody listens on; rejects unless it was refused (TCP RST). */
export async function connectRefused(pods: Pods, pod: PodRef, host: string, port: number): Promise<void> {
  const result = await tcpConnect(pods, pod, host, port);
  if (result !== "ECONNREFUSED") throw new Error(`expected ${host}:${port} to refuse the connection, got ${result}`);
}

/** ICMP echo (v4 or v6 by address); returns how many replies came back. */
export async function ping(pods: Pods, pod: PodRef, host: string, count = 1): Promise<number> {
  const r = await pods.exec(pod, ["ping", "-n", "-c", String(count), "-i", "0.2", "-W", "1", host], {
    allowFail: true,
    timeoutMs: 5000 + count * 1000,
  });
  const m = /(\d+) (?:packets )?received/.exec(r.stdout);
  if (!m) throw new Error(`ping ${host} from ${typeof pod === "string" ? pod : pod.name}: ${r.stderr.trim() || r.stdout.trim()}`);
  return Number(m[1]);
}

export interface IperfResult {
  /** Bytes the client sent. */
  bytes: number;
  bitsPerSecond: number;
}

/** iperf3 client run against a startIperfServer; TCP unless udp is set. */
export async function iperfClient(
  pods: Pods,
  pod: PodRef,
  host: string,
  opts: {
    port?: number;
    seconds?: number;
    bytes?: number;
    udp?: boolean;
    bitrate?: string;
  } = {},
): Promise<IperfResult> {
  const cmd = ["iperf3", "-c", host, "-p", String(opts.port ?? 5201), "-J"];
  if (opts.bytes) cmd.push("-n", String(opts.bytes));
  else cmd.push("-t", String(opts.seconds ?? 2));
  if (opts.udp) cmd.push("-u", "-b", opts.bitrate ?? "100M");
  else if (opts.bitrate) cmd.push("-b", opts.bitrate);
  const r = await pods.exec(pod, cmd, { timeoutMs: 60_000 });
  const end = JSON.parse(r.stdout).end;
  const sum = end?.sum_sent ?? end?.sum;
  if (!sum) throw new Error(`iperf3 to ${host}: no summary in its output: ${r.stdout.slice(0, 200)}`);
  return { bytes: sum.bytes, bitsPerSecond: sum.bits_per_second };
}
