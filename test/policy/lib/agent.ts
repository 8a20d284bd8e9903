// Client of the probe agent (agent.mjs): one long-lived process per pod (or the host) that makes
// real TCP/UDP/HTTP connections on request, so probing costs milliseconds, not a process start.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const AGENT = fileURLToPath(new URL("./agent.mjs", import.meta.url));
const SERVERS = fileURLToPath(new URL("./servers.mjs", import.meta.url));

export interface TcpResult {
  /** "connected", an errno code (EPERM, ECONNREFUSED, ECONNRESET) or "timeout". */
  r: string;
  ms: number;
  start: number;
  localPort?: number;
}
export interface UdpResult {
  /** "reply", a send error code (EPERM) or "timeout". */
  r: string;
  ms: number;
}
export interface HttpAnswer {
  /** 0 when the request got no answer (see error). */
  status: number;
  body?: string;
  error?: string;
  localPort?: number;
  reused?: boolean;
}
export interface Attempt {
  /** Epoch ms (sub-ms precision) when connect() was called. */
  start: number;
  /** As TcpResult.r, or the HTTP status ("200", "403") / error of an HTTP loop. */
  r: string;
}

export interface Agent {
  tcp(host: string, port: number, timeoutMs?: number): Promise<TcpResult>;
  udp(host: string, port: number, timeoutMs?: number): Promise<UdpResult>;
  /** Requests in order over one keep-alive connection. */
  http(host: string, port: number, requests: { method: string; path: string }[], timeoutMs?: number): Promise<HttpAnswer[]>;
  /** Starts a new connection every intervalMs until stopLoop(key): a TCP connect, or with `path` an HTTP GET (r = status). */
  startLoop(key: string, host: string, port: number, opts?: { intervalMs?: number; timeoutMs?: number; path?: string }): Promise<void>;
  stopLoop(key: string): Promise<Attempt[]>;
  /** Kills the agent; resolves once it has exited. */
  close(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});

/** Argv that runs node inside a netns (nsenter keeps /sys, so the agent can join a cgroup); the host's own netns when netns is undefined. */
function inNetns(netns: string | undefined, args: string[]): string[] {
  return netns ? ["nsenter", `--net=/var/run/netns/${netns}`, process.execPath, ...args] : [process.execPath, ...args];
}

/** Starts an agent in `netns` (the host's netns when undefined), inside `cgroup` (a cgroup v2 directory) when given. */
export async function startAgent(netns: string | undefined, opts: { cgroup?: string } = {}): Promise<Agent> {
  const [file, ...args] = inNetns(netns, [AGENT, ...(opts.cgroup ? [opts.cgroup] : [])]);
  const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"] });
  live.add(child);
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const waiting = new Map<number, (v: Record<string, unknown>) => void>();
  let seq = 0;
  let exited = false;
  const ready = new Promise<void>((resolve, reject) => {
    waiting.set(0, () => resolve());
    child.on("exit", (code) => {
      exited = true;
      live.delete(child);
      reject(new Error(`probe agent in ${netns ?? "host"} exited (${code}): ${stderr.trim()}`));
      for (const w of waiting.values()) w({ r: `agent exited: ${stderr.trim()}` });
      waiting.clear();
    });
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    const msg = JSON.parse(line) as { id: number };
    const w = waiting.get(msg.id);
    waiting.delete(msg.id);
    w?.(msg);
  });
  await ready;
  const call = <T>(req: Record<string, unknown>): Promise<T> => {
    if (exited) return Promise.reject(new Error(`probe agent in ${netns ?? "host"} is gone: ${stderr.trim()}`));
    const id = ++seq;
    return new Promise((resolve) => {
      waiting.set(id, (v) => resolve(v as T));
      child.stdin?.write(`${JSON.stringify({ id, ...req })}\n`);
    });
  };
  return {
    tcp: (host, port, timeoutMs = 1000) => call({ op: "tcp", host, port, timeoutMs }),
    udp: (host, port, timeoutMs = 1000) => call({ op: "udp", host, port, timeoutMs }),
    http: async (host, port, requests, timeoutMs = 3000) =>
      (await call<{ r: HttpAnswer[] }>({ op: "http", host, port, requests, timeoutMs })).r,
    startLoop: async (key, host, port, o = {}) => {
      await call({ op: "loop", key, host, port, intervalMs: o.intervalMs ?? 10, timeoutMs: o.timeoutMs ?? 300, path: o.path });
    },
    stopLoop: async (key) => (await call<{ r: Attempt[] }>({ op: "stop", key })).r,
    async close() {
      live.delete(child);
      if (exited) return;
      const gone = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await gone;
    },
  };
}

/** Starts the test servers (servers.mjs) in a netns; resolves once every port listens. */
export async function startServers(netns: string, tcp: number[], udp: number[] = []): Promise<{ kill(): void }> {
  const [file, ...args] = inNetns(netns, [SERVERS, tcp.join(",") || "-", udp.join(",") || "-"]);
  const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let out = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`servers in ${netns} not ready after 10 s: ${out}`)), 10_000);
    const on = (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", on);
    child.stderr?.on("data", on);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`servers in ${netns} exited (${code}): ${out}`));
    });
  });
  return {
    kill() {
      live.delete(child);
      child.kill("SIGKILL");
    },
  };
}
