// Address helpers between the ABI's 16-byte address encoding and text.
import { isIPv4, isIPv6 } from "node:net";

/** Text form of an ABI address: IPv4 uses the first 4 bytes, IPv6 all 16. */
export function addrToString(buf: Buffer, off: number, ipVersion: number): string {
  if (ipVersion === 4) return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(buf.readUInt16BE(off + i).toString(16));
  return compressV6(parts);
}

function compressV6(parts: string[]): string {
  // Longest run of zero groups (length >= 2) becomes "::", as RFC 5952 says.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === "0") j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return parts.join(":");
  return `${parts.slice(0, best).join(":")}::${parts.slice(best + bestLen).join(":")}`;
}

/** ABI encoding (16 bytes) of an address; throws on text that is not an IP address. */
export function addrToKey(ip: string): Buffer {
  const out = Buffer.alloc(16);
  if (isIPv4(ip)) {
    const parts = ip.split(".");
    for (let i = 0; i < 4; i++) out[i] = Number(parts[i]);
    return out;
  }
  if (!isIPv6(ip)) throw new Error(`not an IP address: ${ip}`);
  const [head, tail] = ip.includes("::") ? ip.split("::") : [ip, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  for (let i = 0; i < 8; i++) out.writeUInt16BE(Number.parseInt(groups[i], 16), i * 2);
  return out;
}

export function ipVersionOf(ip: string): 4 | 6 | 0 {
  return isIPv4(ip) ? 4 : isIPv6(ip) ? 6 : 0;
}

/** Canonical text (so "fd00:200:0::10" and "fd00:200::10" compare equal). */
export function canonicalIp(ip: string): string {
  const v = ipVersionOf(ip);
  if (v === 0) throw new Error(`not an IP address: ${ip}`);
  return addrToString(addrToKey(ip), 0, v);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function macToString(buf: Buffer, off: number): string {
  return `${HEX[buf[off]]}:${HEX[buf[off + 1]]}:${HEX[buf[off + 2]]}:${HEX[buf[off + 3]]}:${HEX[buf[off + 4]]}:${HEX[buf[off + 5]]}`;
}
