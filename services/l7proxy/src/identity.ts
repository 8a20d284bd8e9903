// Client identity from the pinned fl_ipcache LPM trie: a full-length lookup of the client's address
// (keyed by @flowlens/policy's ipcacheKey, as the collector writes it), longest prefix wins; a miss
// is world (2), as in the kernel.
import { isIP } from "node:net";
import { ipcacheKey, ReservedIdentity } from "@flowlens/policy";
import { reason } from "@flowlens/runtime";
import type { PinnedMap } from "./pinned-map.js";

export function identityOf(ipcache: PinnedMap, ip: string, onError: (why: string) => void): number {
  const addr = ip.split("%")[0]; // a scope id ("fe80::1%eth0") is not part of the address
  const map = ipcache.get();
  if (!map || !isIP(addr)) return ReservedIdentity.WORLD;
  try {
    const v = map.lookup(ipcacheKey(addr));
    return v ? v.readUInt32LE(0) : ReservedIdentity.WORLD;
  } catch (e) {
    onError(reason(e));
    return ReservedIdentity.WORLD;
  }
}
