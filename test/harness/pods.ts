// Test pods: network namespaces with veths on a Linux bridge, an endpoints file for the collector, cleanup.
import { type ChildProcess, spawn as spawnProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { type RunOptions, type RunResult, run, runSync, sleep } from "./run.js";
import { type Plan, type PodPlan, type PodsSpec, planPods } from "./topology.js";

export type { PodSpec, PodsSpec } from "./topology.js";

export interface Pod extends PodPlan {
  /** ifindex of the host-side veth (hostIf), where the collector attaches tc. */
  ifindex: number;
}

export interface Spawned {
  process: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr interleaved). */
  output(): string;
  /** Resolves when the process has exited; resolves at once if it already has. */
  exited: Promise<number | null>;
  kill(): Promise<void>;
}

export interface Pods {
  prefix: string;
  bridge: string;
  hostIpv4: string;
  hostIpv6: string;
  pods: Pod[];
  /** The collector's --endpoints file (YAML) describing every pod. */
  endpointsFile: string;
  pod(name: string): Pod;
  /** Runs cmd inside the pod's netns (`ip netns exec`); rejects on non-zero exit unless opts.allowFail. */
  exec(pod: string | Pod, cmd: string[], opts?: RunOptions): Promise<RunResult>;
  /** Starts cmd inside the pod's netns in the background; killed by destroy(). */
  spawn(pod: string | Pod, cmd: string[]): Spawned;
  /** Removes every process, netns, link, bridge and file it created; safe to call twice. */
  destroy(): Promise<void>;
}

export interface CreateOptions {
  /** Leave everything in place when this process exits (scripts/pods.sh up). */
  keep?: boolean;
  /** Where to write the endpoints file (default: a new temp dir). */
  endpointsFile?: string;
}

/** Directory that records which prefixes are in use, so scripts/test-all.sh can clean up after crashes. */
export const STATE_DIR = "/run/flowlens-harness";

/** Creates the bridge, the pods and the endpoints file; on any failure removes what it made and rethrows. */
export async function createPods(spec: PodsSpec, opts: CreateOptions = {}): Promise<Pods> {
  if (process.getuid?.() !== 0) throw new Error("pods: creating network namespaces needs root; run as root (sudo)");
  planPods(spec); // validate before touching anything
  // A crashed earlier run with the same prefix would make every `ip ... add` fail with "File exists".
  await cleanupPrefix(spec.prefix);
  const plan = planPods({
    ...spec,
    subnet: spec.subnet ?? (await freeSubnet()),
  });
  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(join(STATE_DIR, plan.prefix), `${process.pid}\n`);
  const children = new Set<Spawned>();
  const tmp = opts.endpointsFile ? undefined : mkdtempSync(join(tmpdir(), `flowlens-${plan.prefix}-`));
  const endpointsFile = opts.endpointsFile ?? join(tmp as string, "endpoints.yaml");
  let destroyed = false;
  const onExit = () => destroySync();
  const onSignal = (sig: NodeJS.Signals) => {
    destroySync();
    process.removeListener(sig, onSignal);
    process.kill(process.pid, sig);
  };
  function unregister() {
    process.removeListener("exit", onExit);
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
  function destroySync() {
    if (destroyed) return;
    destroyed = true;
    unregister();
    for (const c of children) c.process.kill("SIGKILL");
    cleanupPrefixSync(plan.prefix);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
  if (!opts.keep) {
    process.on("exit", onExit);
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }

  let pods: Pod[];
  try {
    await createBridge(plan);
    pods = [];
    for (const p of plan.pods) pods.push(await createPod(plan, p));
    writeFileSync(endpointsFile, endpointsYaml(pods));
  } catch (err) {
    destroySync();
    throw err;
  }

  const byName = (pod: string | Pod): Pod => {
    const name = typeof pod === "string" ? pod : pod.name;
    const found = pods.find((p) => p.name === name);
    if (!found) throw new Error(`pods: no pod named "${name}" (have ${pods.map((p) => p.name).join(", ")})`);
    return found;
  };

  return {
    prefix: plan.prefix,
    bridge: plan.bridge,
    hostIpv4: plan.hostIpv4,
    hostIpv6: plan.hostIpv6,
    pods,
    endpointsFile,
    pod: byName,
    exec: (pod, cmd, execOpts) => run(["ip", "netns", "exec", byName(pod).netns, ...cmd], execOpts),
    spawn(pod, cmd) {
      const child = spawnBackground(["ip", "netns", "exec", byName(pod).netns, ...cmd]);
      children.add(child);
      void child.exited.then(() => children.delete(child));
      return child;
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      unregister();
      await Promise.all([...children].map((c) => c.kill()));
      await cleanupPrefix(plan.prefix);
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** The first 10.200.N.0/24 no host route uses, so pods of a suite never share a subnet with running ones. */
async function freeSubnet(): Promise<string> {
  const routes = (await run(["ip", "-4", "route", "show"])).stdout;
  for (let n = 0; n < 256; n++) {
    const subnet = `10.200.${n}.0/24`;
    if (!routes.includes(`${subnet} `)) return subnet;
  }
  throw new Error("pods: every subnet 10.200.0-255.0/24 is in use; remove stale bridges (scripts/cleanup.sh)");
}

/** Renders the collector's --endpoints file. */
export function endpointsYaml(pods: Pod[]): string {
  const endpoints = pods.map((p) => ({
    name: p.name,
    namespace: p.namespace,
    labels: p.labels,
    netns: p.netns,
    interface: p.hostIf,
    ips: [p.ipv4, p.ipv6],
  }));
  return stringify({ endpoints });
}

async function createBridge(plan: Plan): Promise<void> {
  const br = plan.bridge;
  await run(["ip", "link", "add", br, "type", "bridge"]);
  await run(["ip", "addr", "add", `${plan.hostIpv4}/24`, "dev", br]);
  await run(["ip", "addr", "add", `${plan.hostIpv6}/64`, "dev", br, "nodad"]);
  await run(["ip", "link", "set", br, "up"]);
}

async function createPod(plan: Plan, p: PodPlan): Promise<Pod> {
  const ns = p.netns;
  await run(["ip", "netns", "add", ns]);
  // No DAD in the pod, so IPv6 (link-local included) works the moment the link is up.
  await run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"]);
  await run(["ip", "link", "add", p.hostIf, "type", "veth", "peer", "name", "eth0", "netns", ns]);
  await run(["ip", "link", "set", p.hostIf, "master", plan.bridge, "up"]);
  await run(["ip", "-n", ns, "link", "set", "lo", "up"]);
  await run(["ip", "-n", ns, "addr", "add", `${p.ipv4}/24`, "dev", "eth0"]);
  await run(["ip", "-n", ns, "addr", "add", `${p.ipv6}/64`, "dev", "eth0", "nodad"]);
  await run(["ip", "-n", ns, "link", "set", "eth0", "up"]);
  await run(["ip", "-n", ns, "route", "add", "default", "via", plan.hostIpv4]);
  await run(["ip", "-n", ns, "-6", "route", "add", "default", "via", plan.hostIpv6]);
  const ifindex = Number(readFileSync(`/sys/class/net/${p.hostIf}/ifindex`, "utf8").trim());
  return { ...p, ifindex };
}

/** Starts argv in its own process group, collecting its output. */
export function spawnBackground(argv: string[]): Spawned {
  const [file, ...args] = argv;
  const child = spawnProcess(file, args, {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  const collect = (d: Buffer) => {
    out = (out + d.toString()).slice(-64 * 1024);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => resolve(code));
    child.on("error", (err) => {
      out += `\n${err.message}`;
      resolve(null);
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  return {
    process: child,
    output: () => out,
    exited,
    async kill() {
      if (done || child.pid === undefined) return;
      signalGroup(child.pid, "SIGTERM");
      const stopped = await Promise.race([exited.then(() => true), sleep(2000).then(() => false)]);
      if (!stopped) {
        signalGroup(child.pid, "SIGKILL");
        await exited;
      }
    },
  };
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

/** The netns and link names a prefix owns: "<prefix>-*" namespaces, "<prefix>v<N>" veths, "<prefix>-*" links. */
function owned(prefix: string, netnsList: string, linkList: string): { netns: string[]; links: string[] } {
  const netns = netnsList
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => n.startsWith(`${prefix}-`));
  const linkRe = new RegExp(`^${prefix}(v\\d+|-.+)$`);
  const links = linkList
    .split("\n")
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1])
    .filter((n): n is string => !!n && linkRe.test(n));
  return { netns, links };
}

/** Removes every netns (and the processes inside), link and state file a prefix owns. */
export async function cleanupPrefix(prefix: string): Promise<void> {
  const ns = await run(["ip", "netns", "list"], { allowFail: true });
  const links = await run(["ip", "-o", "link", "show"], { allowFail: true });
  const o = owned(prefix, ns.stdout, links.stdout);
  for (const n of o.netns) {
    const pids = (await run(["ip", "netns", "pids", n], { allowFail: true })).stdout.split(/\s+/).filter(Boolean);
    for (const pid of pids) signalPid(Number(pid), "SIGKILL");
    await run(["ip", "netns", "del", n], { allowFail: true });
  }
  // Deleting a netns deletes its veth end (and so the host end); the bridge and strays remain.
  const left = owned(prefix, "", (await run(["ip", "-o", "link", "show"], { allowFail: true })).stdout);
  for (const l of left.links) await run(["ip", "link", "del", l], { allowFail: true });
  rmSync(join(STATE_DIR, prefix), { force: true });
}

/** cleanupPrefix for process-exit handlers, where nothing asynchronous runs. */
export function cleanupPrefixSync(prefix: string): void {
  const o = owned(prefix, runSync(["ip", "netns", "list"]), runSync(["ip", "-o", "link", "show"]));
  for (const n of o.netns) {
    for (const pid of runSync(["ip", "netns", "pids", n]).split(/\s+/).filter(Boolean)) signalPid(Number(pid), "SIGKILL");
    runSync(["ip", "netns", "del", n]);
  }
  for (const l of owned(prefix, "", runSync(["ip", "-o", "link", "show"])).links) runSync(["ip", "link", "del", l]);
  rmSync(join(STATE_DIR, prefix), { force: true });
}

/** Lists netns and links a prefix still owns (empty after a clean destroy). */
export async function leftovers(prefix: string): Promise<string[]> {
  const ns = await run(["ip", "netns", "list"], { allowFail: true });
  const links = await run(["ip", "-o", "link", "show"], { allowFail: true });
  const o = owned(prefix, ns.stdout, links.stdout);
  return [...o.netns.map((n) => `netns ${n}`), ...o.links.map((l) => `link ${l}`)];
}

function signalPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
