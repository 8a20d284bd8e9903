// Facts about an endpoint read from the system: the host-side interface's ifindex and the
// addresses configured inside its network namespace.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export async function ifindexOf(ifname: string): Promise<number> {
  try {
    return Number((await readFile(`/sys/class/net/${ifname}/ifindex`, "utf8")).trim());
  } catch {
    throw new Error(`interface ${ifname} does not exist on this host — create the endpoint's veth first or fix "interface"`);
  }
}

/** The netns file of an endpoint's `netns`: a name under /var/run/netns (as `ip netns` makes them) or a path. */
export function netnsPath(netns: string): string {
  return isAbsolute(netns) ? netns : join("/var/run/netns", netns);
}

/** Global-scope addresses inside the netns (a name under /var/run/netns or a path). */
export async function netnsAddresses(netns: string): Promise<string[]> {
  const args = ["nsenter", `--net=${netnsPath(netns)}`, "ip", "-j", "addr", "show"];
  let out: string;
  try {
    out = (await run(args[0], args.slice(1), { timeout: 5000 })).stdout;
  } catch (e) {
    throw new Error(`read addresses of netns ${netns}: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`, { cause: e });
  }
  const links = JSON.parse(out) as { ifname: string; addr_info?: { local: string; scope: string }[] }[];
  const ips: string[] = [];
  for (const l of links) for (const a of l.addr_info ?? []) if (a.scope === "global" && l.ifname !== "lo") ips.push(a.local);
  return ips;
}

/** Addresses of the host itself (the collector's netns): they map to the reserved host identity. */
export async function hostAddresses(): Promise<string[]> {
  const out = (await run("ip", ["-j", "addr", "show"], { timeout: 5000 })).stdout;
  const links = JSON.parse(out) as { addr_info?: { local: string }[] }[];
  return links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local));
}
