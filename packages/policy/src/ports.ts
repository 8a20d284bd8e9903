// Port ranges as bit prefixes of the 16-bit port (the LPM key holds dport in network byte order,
// so a prefix of n bits is the ports sharing their n high bits).

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export interface PortPrefix {
  /** First port of the block (its low 16 - len bits are zero). */
  port: number;
  /** 0..16: how many high bits are fixed; 16 = exactly `port`. */
  len: number;
}

/** The fewest aligned prefixes covering exactly lo..hi (inclusive). */
export function portPrefixes(lo: number, hi: number): PortPrefix[] {
  const out: PortPrefix[] = [];
  let p = lo;
  while (p <= hi) {
    let size = 1;
    // grow the block while p stays aligned to it and it stays inside the range
    while (size < 0x10000 && p % (size * 2) === 0 && p + size * 2 - 1 <= hi) size *= 2;
    out.push({ port: p, len: 16 - Math.log2(size) });
    p += size;
  }
  return out;
}

export function portMask(len: number): number {
  return len === 0 ? 0 : (0xffff << (16 - len)) & 0xffff;
}
