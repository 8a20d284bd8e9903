// Keeps the policy maps' endpoint side in step with the endpoint registry: each endpoint's
// host-side ifindex and cgroup (subjects of the tc and socket decisions) and its addresses
// (identities of peers). New facts are written before stale ones are removed.
import { statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { Endpoint, EndpointRegistry } from "../endpoints/registry.js";
import type { PolicyMaps } from "./maps.js";

/** cgroup v2 id of a cgroup directory: its inode number. `path` is absolute or relative to root. */
export function cgroupIdOf(path: string, root: string | undefined): bigint {
  const dir = isAbsolute(path) && (!root || path.startsWith(`${root}/`) || path === root) ? path : join(root ?? "/sys/fs/cgroup", path);
  try {
    return statSync(dir, { bigint: true }).ino;
  } catch {
    throw new Error(`cgroup ${path}: ${dir} does not exist — create the cgroup (mkdir under the cgroup v2 mount) or fix "cgroup"`);
  }
}

export function syncEndpoints(
  registry: EndpointRegistry,
  maps: PolicyMaps,
  opts: { cgroupRoot: string | undefined; log: (msg: string) => void },
): void {
  /** Ids by cgroup path, so a cgroup removed before its endpoint can still be deleted. */
  const ids = new Map<string, bigint>();
  const cgroupOf = (ep: Endpoint): bigint | undefined => {
    if (!ep.cgroup) return undefined;
    try {
      const id = cgroupIdOf(ep.cgroup, opts.cgroupRoot);
      ids.set(ep.cgroup, id);
      return id;
    } catch (e) {
      opts.log(`endpoint ${ep.namespace}/${ep.name}: ${(e as Error).message}; socket-level policy is off for it`);
      return undefined;
    }
  };
  const guard = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (e) {
      opts.log(`policy maps: ${what}: ${(e as Error).message}`);
    }
  };
  const add = (ep: Endpoint) =>
    guard(`endpoint ${ep.namespace}/${ep.name}`, () => {
      const info = { endpointId: ep.id, identity: ep.identity };
      for (const ip of ep.ips) maps.setIpIdentity(ip, ep.identity, ep.id);
      maps.setEndpoint(ep.ifindex, info);
      const cg = cgroupOf(ep);
      if (cg !== undefined) maps.setCgroup(cg, info);
    });
  /** Removes what `old` had and no current endpoint has (keep: the version replacing it). */
  const remove = (old: Endpoint, keep?: Endpoint) =>
    guard(`endpoint ${old.namespace}/${old.name} removed`, () => {
      for (const ip of old.ips) if (!registry.byAddress(ip)) maps.deleteIp(ip);
      if (!registry.byInterface(old.ifindex)) maps.deleteEndpoint(old.ifindex);
      if (!old.cgroup || old.cgroup === keep?.cgroup || registry.list().some((e) => e.cgroup === old.cgroup)) return;
      const cg = ids.get(old.cgroup);
      ids.delete(old.cgroup);
      if (cg !== undefined) maps.deleteCgroup(cg);
    });
  for (const ep of registry.list()) add(ep);
  registry.on("added", add);
  registry.on("removed", (ep) => remove(ep));
  registry.on("updated", (old, ep) => {
    add(ep);
    remove(old, ep);
  });
}
