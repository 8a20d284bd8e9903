// "World" for policy tests: addresses outside the pods' subnet, held by a dummy interface in a
// namespace of their own that sits on the pods' bridge. Each pod routes those addresses via that
// namespace, so the traffic crosses the pod's veth (where tc sees it) like traffic to the Internet,
// without touching the host's routing table or forwarding setting.
import type { Pods } from "./pods.js";
import { run } from "./run.js";

export interface World {
  /** "<prefix>-world": removed with the pods (cleanupPrefix owns "<prefix>-*"). */
  netns: string;
  /** The world namespace's address on the bridge, the pods' next hop for `addresses`. */
  gateway: string;
  addresses: string[];
}

/** Adds the world namespace to the pods' bridge with `addresses` (IPv4, outside the pods' /24) on a dummy interface. */
export async function addWorld(pods: Pods, addresses: string[]): Promise<World> {
  const netns = `${pods.prefix}-world`;
  const hostIf = `${pods.prefix}-w0`;
  const gateway = pods.hostIpv4.replace(/\.1$/, ".250");
  await run(["ip", "netns", "add", netns]);
  await run(["ip", "link", "add", hostIf, "type", "veth", "peer", "name", "eth0", "netns", netns]);
  await run(["ip", "link", "set", hostIf, "master", pods.bridge, "up"]);
  await run(["ip", "-n", netns, "link", "set", "lo", "up"]);
  await run(["ip", "-n", netns, "addr", "add", `${gateway}/24`, "dev", "eth0"]);
  await run(["ip", "-n", netns, "link", "set", "eth0", "up"]);
  // A dummy interface holds the addresses; kernels built without the dummy driver get a veth pair
  // whose other end stays in the same namespace, which behaves the same for local addresses.
  const dummy = await run(["ip", "-n", netns, "link", "add", "world0", "type", "dummy"], { allowFail: true });
  if (dummy.code !== 0) await run(["ip", "-n", netns, "link", "add", "world0", "type", "veth", "peer", "name", "world1"]);
  for (const a of addresses) await run(["ip", "-n", netns, "addr", "add", `${a}/32`, "dev", "world0"]);
  await run(["ip", "-n", netns, "link", "set", "world0", "up"]);
  for (const p of pods.pods) {
    for (const a of addresses) await run(["ip", "-n", p.netns, "route", "add", `${a}/32`, "via", gateway]);
  }
  return { netns, gateway, addresses };
}
