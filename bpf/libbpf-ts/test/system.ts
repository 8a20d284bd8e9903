// Host set-up for the real-kernel tests: bpffs/tracefs mounts, a veth pair into an `lbt-` netns, cleanup.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

export function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs a command, ignoring failure (cleanup of things that may not exist). */
export function tryRun(cmd: string, args: string[]): void {
  try {
    run(cmd, args);
  } catch {
    // already gone
  }
}

function mounted(path: string): boolean {
  return readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .some((line) => line.split(" ")[1] === path);
}

export function ensureMounts(): void {
  if (!mounted("/sys/fs/bpf")) tryRun("mount", ["-t", "bpf", "bpf", "/sys/fs/bpf"]);
  if (!mounted("/sys/kernel/tracing")) tryRun("mount", ["-t", "tracefs", "tracefs", "/sys/kernel/tracing"]);
}

export interface VethNetns {
  ns: string;
  host: string;
  peer: string;
  hostIfindex: number;
  /** Address of the namespace side; the host side has none. */
  peerAddr: string;
  gatewayAddr: string;
  remove(): void;
}

/** A netns `lbt-<tag>` holding `lbt-p<tag>`, paired with `lbt-h<tag>` in the current namespace. */
export function createVethNetns(tag: string): VethNetns {
  const ns = `lbt-${tag}`;
  const host = `lbt-h${tag}`;
  const peer = `lbt-p${tag}`;
  if (host.length > 15) throw new Error(`interface name ${host} is longer than 15 characters`);
  const remove = () => {
    tryRun("ip", ["link", "del", host]);
    tryRun("ip", ["netns", "del", ns]);
  };
  remove();
  try {
    run("ip", ["netns", "add", ns]);
    run("ip", ["link", "add", host, "type", "veth", "peer", "name", peer]);
    run("ip", ["link", "set", peer, "netns", ns]);
    run("ip", ["link", "set", host, "up"]);
    const peerAddr = "10.213.77.2";
    const gatewayAddr = "10.213.77.1";
    run("ip", ["-n", ns, "addr", "add", `${peerAddr}/24`, "dev", peer]);
    run("ip", ["-n", ns, "link", "set", peer, "up"]);
    run("ip", ["-n", ns, "link", "set", "lo", "up"]);
    // Pings to the gateway leave the namespace without ARP and reach the host side's tc ingress; their
    // destination MAC is not the host's, so the host drops them right after tc (never routed anywhere).
    run("ip", ["-n", ns, "neigh", "replace", gatewayAddr, "lladdr", "02:00:00:00:77:01", "dev", peer, "nud", "permanent"]);
    const hostIfindex = Number(readFileSync(`/sys/class/net/${host}/ifindex`, "utf8"));
    return { ns, host, peer, hostIfindex, peerAddr, gatewayAddr, remove };
  } catch (err) {
    remove();
    throw err;
  }
}

export function tcFilters(dev: string, direction: "ingress" | "egress"): string {
  return run("tc", ["filter", "show", "dev", dev, direction]);
}

export function hasClsact(dev: string): boolean {
  return run("tc", ["qdisc", "show", "dev", dev]).includes("clsact");
}
