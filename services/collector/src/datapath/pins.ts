// What outlives the collector under --pin-path: every map of the object (reused on start, replaced
// when its definition changed) and the cgroup socket-hook links under links/ (adopted on start and
// switched to the new programs in place, so enforcement never pauses).
import { existsSync, mkdirSync, readFileSync, unlinkSync } from "node:fs";
import { type BpfObject, Link } from "libbpf-ts";

/** The cgroup socket hooks; each is one link on the cgroup v2 root, pinned as links/<program>. */
export const SOCKET_HOOK_PROGRAMS = ["fl_connect4", "fl_connect6", "fl_sendmsg4", "fl_sendmsg6"] as const;

export function linksDir(pinPath: string): string {
  return `${pinPath}/links`;
}

/** Maps of the object that are pinned: named ones (internal .rodata/.bss maps are per load). */
export function pinnableMaps(obj: BpfObject): string[] {
  return obj
    .maps()
    .map((m) => m.name)
    .filter((n) => !n.includes("."));
}

/**
 * Before load: reuse every compatible pinned map; an incompatible pin (type, key/value size or
 * max entries changed) is removed with one log line and a new map is created. Returns the maps
 * to pin after load.
 */
export function reusePinnedMaps(obj: BpfObject, pinPath: string, log: (msg: string) => void): string[] {
  mkdirSync(linksDir(pinPath), { recursive: true });
  const toPin: string[] = [];
  for (const name of pinnableMaps(obj)) {
    const path = `${pinPath}/${name}`;
    let reused = false;
    try {
      reused = obj.reusePinnedMap(name, path);
    } catch (e) {
      log(`pinned map ${path} replaced: ${(e as Error).message.replace(/^.*?: EINVAL — /, "")}`);
      unlinkSync(path);
    }
    if (!reused) toPin.push(name);
  }
  return toPin;
}

export function pinMaps(obj: BpfObject, names: string[], pinPath: string): void {
  for (const name of names) obj.map(name).pin(`${pinPath}/${name}`);
}

/** Mount point of the cgroup v2 hierarchy (/sys/fs/cgroup or /sys/fs/cgroup/unified), if any. */
export function cgroupV2Root(): string | undefined {
  const mounts = readFileSync("/proc/mounts", "utf8").split("\n");
  const roots = mounts.map((l) => l.split(" ")).filter((f) => f[2] === "cgroup2");
  return roots.find((f) => f[1] === "/sys/fs/cgroup")?.[1] ?? roots[0]?.[1];
}

/**
 * The socket hooks on the cgroup v2 root: a pinned link of an earlier run is switched to this
 * object's program in place; without one (or when the switch fails) a new link is attached and
 * pinned before the old one goes, so some program always runs.
 */
export function attachSocketHooks(obj: BpfObject, pinPath: string, cgroupRoot: string, log: (msg: string) => void): Link[] {
  const links: Link[] = [];
  for (const prog of SOCKET_HOOK_PROGRAMS) {
    const path = `${linksDir(pinPath)}/${prog}`;
    let old: Link | undefined;
    if (existsSync(path)) {
      try {
        old = Link.openPinned(path);
        old.update(obj.program(prog));
        links.push(old);
        continue;
      } catch (e) {
        log(`pinned link ${path} could not be switched to the new program (${(e as Error).message}); attaching anew`);
      }
    }
    const link = obj.program(prog).attachCgroup(cgroupRoot);
    if (old) {
      try {
        old.detach();
      } catch {
        // already gone
      }
    }
    if (existsSync(path)) unlinkSync(path); // a pin that is not a link (or a dead one)
    link.pin(path);
    links.push(link);
  }
  return links;
}
