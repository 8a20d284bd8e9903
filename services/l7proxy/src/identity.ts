// Client identity from the pinned fl_ipcache LPM trie (abi.h fl_ipcache_key): IPv4 as ::ffff:a.b.c.d,
// full-length lookup, longest prefix wins; a miss is world (2), as in the kernel.
import { isIPv4, isIPv6 } from "node:net";
import { reason } from "./log.js";
import type { PinnedMap } from "./pinned-map.js";

export const WORLD_IDENTITY = 2;

/** The 20-byte fl_ipcache_key of a full-length lookup of ip; undefined when ip is not an address. */
export function ipcacheKey(ip: string): Buffer | undefined {
  const key = Buffer.alloc(20);
  key.writeUInt32LE(128, 0);
  const v4 = ip.startsWith("::ffff:") && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  if (isIPv4(v4)) {
    key[14] = 0xff;
    key[15] = 0xff;
    v4.split(".").forEach((o, i) => {
      key[16 + i] = Number(o);
    });
    return key;
  }
  if (!isIPv6(ip)) return undefined;
  let text = ip.split("%")[0];
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail = ""] = text.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = text.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  groups.forEach((g, i) => {
    key.writeUInt16BE(Number.parseInt(g, 16), 4 + i * 2);
  });
  return key;
}

export function identityOf(ipcache: PinnedMap, ip: string, onError: (why: string) => void): number {
  const key = ipcacheKey(ip);
  const map = ipcache.get();
  if (!key || !map) return WORLD_IDENTITY;
  try {
    const v = map.lookup(key);
    return v ? v.readUInt32LE(0) : WORLD_IDENTITY;
  } catch (e) {
    onError(reason(e));
    return WORLD_IDENTITY;
  }
}
