// L7 test bed: netns pods on a bridge, the real BPF object with fl_ct / fl_ipcache / fl_l7_socks
// pinned in a private bpffs dir, fl_sk_lookup attached to the server pod's netns, an echo server on
// port 80, a state dir with the proxy's config, and an events socket standing in for the collector.
// CT entries are written by hand (the tc side is tested elsewhere): a range of client source ports
// per test is marked FL_CTF_L7, so exactly those connections go to the proxy.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type L7Message, type L7ProxyConfig, l7Paths, parseL7Message, proxyCommand, sockKey, writeL7Config } from "@flowlens/l7-contract";
import { ipcacheKey, type L7Port } from "@flowlens/policy";
import { type BpfMap, BpfObject, type Link } from "libbpf-ts";
import { createPods, type Pods, type Spawned, spawnBackground } from "./pods.js";
import { run, sleep } from "./run.js";
import { REPO_ROOT } from "./topology.js";

export const REPO = REPO_ROOT;
export const BPF_OBJECT = join(REPO, "bpf/.output/flowlens.bpf.o");
export const PROXY_MAIN = join(REPO, "services/l7proxy/dist/index.js");
const SERVERS = join(REPO, "test/harness/servers");
const CLIENT = join(SERVERS, "http-client.mjs");
const ECHO = join(SERVERS, "echo-server.mjs");

export const SERVER_ID = 1;
export const IDENT = { server: 70000, client: 70001, other: 70002 } as const;

export interface ClientResult {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  reused?: boolean;
  error?: string;
  ms: number;
}

export interface Bed {
  pods: Pods;
  stateDir: string;
  pinDir: string;
  obj: BpfObject;
  link: Link | undefined;
  socks: BpfMap;
  ct: BpfMap;
  events: L7Message[];
  serverIp: string;
  serverIp6: string;
  netnsPath(pod: string): string;
  /** Marks count source ports from base as L7 connections of `pod` to the server's port 80 (over IPv6 when family is 6). */
  markL7(pod: string, base: number, count: number, family?: 4 | 6): void;
  writeConfig(ports: L7Port[]): void;
  startProxy(): Spawned;
  /** Resolves once the proxy registered the server's IPv4 listener in fl_l7_socks. */
  waitRegistered(timeoutMs?: number): Promise<void>;
  /** Runs the test client in `pod`; one result per request. */
  client(pod: string, spec: { localPort: number; requests: ClientRequest[]; pauseMs?: number; host?: string }): Promise<ClientResult[]>;
  /** Starts (again) the events socket standing in for the collector. */
  listenEvents(): Promise<void>;
  stopEvents(): Promise<void>;
  destroy(): Promise<void>;
}

export interface ClientRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  bodyRepeat?: number;
}

/** 4 bytes for IPv4, 16 for IPv6 (as fl_flow_key and fl_ct_key hold them). */
function ipBytes(ip: string): Buffer {
  if (!ip.includes(":")) return Buffer.from(ip.split(".").map(Number));
  return Buffer.from(ipcacheKey(ip)).subarray(4);
}

function ctKey(src: string, sport: number, dst: string, dport: number): Buffer {
  const k = Buffer.alloc(40);
  ipBytes(src).copy(k, 0);
  ipBytes(dst).copy(k, 16);
  k.writeUInt16LE(sport, 32);
  k.writeUInt16LE(dport, 34);
  k[36] = 6; // TCP
  k[37] = 0; // FL_POL_INGRESS
  return k;
}

function ctValue(endpointId: number, subject: number): Buffer {
  const v = Buffer.alloc(32);
  v.writeUInt32LE(subject, 20);
  v.writeUInt32LE(endpointId, 24);
  v[28] = 5; // FL_VERDICT_REDIRECTED
  v[29] = 1; // FL_CTF_L7
  return v;
}

export interface BedOptions {
  /** Attach fl_sk_lookup to the server's netns here (default true; false when a supervisor does it). */
  attach?: boolean;
  /** Serve the events socket here (default true; false when a supervisor does it). */
  events?: boolean;
  /** The server script run in the server pod on port 80 (default the echo server). */
  server?: string;
}

export async function createBed(prefix: string, opts: BedOptions = {}): Promise<Bed> {
  const pods = await createPods({
    prefix,
    pods: [
      { name: "server", namespace: "default", labels: { app: "app1" } },
      { name: "client", namespace: "default", labels: { app: "app2" } },
      { name: "other", namespace: "default", labels: { app: "app3" } },
    ],
  });
  const stateDir = mkdtempSync(join(tmpdir(), `${prefix}-state-`));
  const paths = l7Paths(stateDir);
  mkdirSync(paths.dir, { recursive: true });
  if (!existsSync("/sys/fs/bpf/.") || execFileSync("stat", ["-f", "-c", "%T", "/sys/fs/bpf"]).toString().trim() !== "bpf_fs")
    execFileSync("mount", ["-t", "bpf", "bpf", "/sys/fs/bpf"]);
  const pinDir = `/sys/fs/bpf/${prefix}-${process.pid}`;
  mkdirSync(pinDir, { recursive: true });
  const obj = BpfObject.open(BPF_OBJECT);
  obj.load();
  for (const name of ["fl_ct", "fl_ipcache", "fl_l7_socks"]) obj.map(name).pin(join(pinDir, name));
  const ct = obj.map("fl_ct");
  const socks = obj.map("fl_l7_socks");
  const ipcache = obj.map("fl_ipcache");
  const netnsPath = (pod: string) => `/var/run/netns/${pods.pod(pod).netns}`;
  const link = opts.attach === false ? undefined : obj.program("fl_sk_lookup").attachNetns(netnsPath("server"));
  const server = pods.pod("server");
  const identities: Record<string, number> = { server: IDENT.server, client: IDENT.client, other: IDENT.other };
  for (const p of pods.pods) {
    const v = Buffer.alloc(8);
    v.writeUInt32LE(identities[p.name], 0);
    v.writeUInt32LE(p.name === "server" ? SERVER_ID : 0, 4);
    ipcache.update(ipcacheKey(p.ipv4), v);
    ipcache.update(ipcacheKey(p.ipv6), v);
  }
  pods.spawn("server", ["node", opts.server ?? ECHO, "80"]);
  const processes = new Set<Spawned>();

  const events: L7Message[] = [];
  let eventsServer: Server | undefined;
  const eventConns = new Set<Socket>();
  const listenEvents = async () => {
    rmSync(paths.eventsSocket, { force: true });
    const srv = createServer((s) => {
      eventConns.add(s);
      s.on("close", () => eventConns.delete(s));
      let buf = "";
      s.on("data", (d) => {
        buf += d.toString();
        let nl = buf.indexOf("\n");
        while (nl >= 0) {
          const m = parseL7Message(buf.slice(0, nl));
          if (typeof m !== "string") events.push(m);
          buf = buf.slice(nl + 1);
          nl = buf.indexOf("\n");
        }
      });
      s.on("error", () => {});
    });
    await new Promise<void>((ok) => srv.listen(paths.eventsSocket, ok));
    eventsServer = srv;
  };
  const stopEvents = async () => {
    const srv = eventsServer;
    eventsServer = undefined;
    if (!srv) return;
    for (const s of eventConns) s.destroy();
    await new Promise<void>((ok) => srv.close(() => ok()));
  };
  if (opts.events !== false) await listenEvents();
  // The echo server must listen before any test talks to it.
  for (let i = 0; i < 50; i++) {
    const r = await pods.exec("server", ["ss", "-Htln", "sport = :80"], { allowFail: true });
    if (r.stdout.trim()) break;
    await sleep(100);
  }

  const bed: Bed = {
    pods,
    stateDir,
    pinDir,
    obj,
    link,
    socks,
    ct,
    events,
    serverIp: server.ipv4,
    serverIp6: server.ipv6,
    netnsPath,
    markL7(pod, base, count, family = 4) {
      const [ip, dst] = family === 4 ? [pods.pod(pod).ipv4, server.ipv4] : [pods.pod(pod).ipv6, server.ipv6];
      for (let p = base; p < base + count; p++) ct.update(ctKey(ip, p, dst, 80), ctValue(SERVER_ID, IDENT.server));
    },
    writeConfig(ports) {
      const config: L7ProxyConfig = {
        version: 1,
        maps: { l7Socks: join(pinDir, "fl_l7_socks"), ipcache: join(pinDir, "fl_ipcache") },
        eventsSocket: paths.eventsSocket,
        endpoints: [
          {
            endpointId: SERVER_ID,
            name: "default/server",
            netns: netnsPath("server"),
            identity: IDENT.server,
            ips: [server.ipv4, server.ipv6],
            ports,
          },
        ],
        rules: [],
      };
      writeL7Config(paths.config, config);
    },
    startProxy() {
      const p = spawnBackground(proxyCommand(PROXY_MAIN, stateDir).argv); // as the collector starts it
      processes.add(p);
      return p;
    },
    async waitRegistered(timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        if (socks.lookup(sockKey(SERVER_ID, 4))) return;
        await sleep(50);
      }
      throw new Error(`the proxy did not register its listener within ${timeoutMs} ms`);
    },
    async client(pod, spec) {
      const arg = JSON.stringify({ host: server.ipv4, port: 80, ...spec });
      const r = await pods.exec(pod, [process.execPath, CLIENT, arg], { timeoutMs: 30_000 });
      return r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
        .filter((x) => !x.paused);
    },
    listenEvents,
    stopEvents,
    async destroy() {
      for (const p of processes) await p.kill();
      await stopEvents();
      link?.close();
      obj.close();
      rmSync(pinDir, { recursive: true, force: true });
      await pods.destroy();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return bed;
}

/** Starts the client in `pod` in the background, for tests that act while it pauses. */
export function spawnClient(bed: Bed, pod: string, spec: object): { lines: () => object[]; done: Promise<void> } {
  const arg = JSON.stringify({ host: bed.serverIp, port: 80, ...spec });
  const child = spawn("ip", ["netns", "exec", bed.pods.pod(pod).netns, process.execPath, CLIENT, arg], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d.toString();
  });
  const done = new Promise<void>((ok) => child.on("exit", () => ok()));
  return {
    lines: () =>
      out
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    done,
  };
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export function readLog(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

export { run, sleep };
