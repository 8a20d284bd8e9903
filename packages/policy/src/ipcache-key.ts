// fl_ipcache_key bytes (bpf/include/flowlens/abi.h): prefixlen (u32, little endian) then a 16-byte
// address, IPv4 as ::ffff:a.b.c.d with prefixlen 96 + n. The collector's map writer and the L7
// proxy's lookups both encode with this, so they name an address exactly as the kernel does.
import { parsePrefix } from "./cidr.js";

export const IPCACHE_KEY_SIZE = 20;

/**
 * Key of an address (a full-length lookup) or a prefix: "10.0.0.1", "10.0.0.0/8", "fd00::/64".
 * An IPv4-mapped IPv6 address ("::ffff:10.0.0.1") gets the same key as the IPv4 one. Throws a
 * one-line error on text that is not an address or prefix, or has host bits past its prefix.
 */
export function ipcacheKey(text: string): Uint8Array {
  const p = parsePrefix(text);
  if (typeof p === "string") throw new Error(p);
  const key = new Uint8Array(IPCACHE_KEY_SIZE);
  const view = new DataView(key.buffer);
  view.setUint32(0, p.family === 4 ? 96 + p.len : p.len, true);
  const addr = p.family === 4 ? (0xffffn << 32n) | p.addr : p.addr;
  // The address big endian, 32 bits at a time.
  for (let i = 0; i < 4; i++) view.setUint32(4 + 4 * i, Number(BigInt.asUintN(32, addr >> BigInt(32 * (3 - i)))), false);
  return key;
}
