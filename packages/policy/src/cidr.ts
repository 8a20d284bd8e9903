// IP prefixes: parsing (v4 and v6), the canonical text identities are hashed from, containment.

export interface Prefix {
  family: 4 | 6;
  /** Address as an unsigned integer of 32 or 128 bits. */
  addr: bigint;
  len: number;
}

/**
 * Parses `a.b.c.d/n`, `v6/n`, or a bare address (= /32, /128). Returns an error message on failure.
 * An IPv4-mapped IPv6 prefix (`::ffff:a.b.c.d/n`, n >= 96) is the IPv4 prefix /n-96: the kernel keys
 * IPv4 that way, so both spellings must be one prefix with one identity.
 */
export function parsePrefix(text: string): Prefix | string {
  const slash = text.indexOf("/");
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const lenText = slash < 0 ? undefined : text.slice(slash + 1);
  const v4 = parseIPv4(addrText);
  const v6 = v4 === undefined ? parseIPv6(addrText) : undefined;
  if (v4 === undefined && v6 === undefined) return `"${text}" is not an IPv4 or IPv6 prefix (like 10.0.0.0/8 or 2001:db8::/32)`;
  let family: 4 | 6 = v4 !== undefined ? 4 : 6;
  const bits = family === 4 ? 32 : 128;
  let len = bits;
  if (lenText !== undefined) {
    if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > bits) return `"${text}" has a bad prefix length (0-${bits} for IPv${family})`;
    len = Number(lenText);
  }
  let addr = (v4 ?? v6) as bigint;
  if (family === 6 && len >= 96 && addr >> 32n === 0xffffn) [family, addr, len] = [4, addr & 0xffff_ffffn, len - 96];
  if ((addr & ~mask(family, len)) !== 0n) {
    const fixed = formatPrefix({ family, addr: addr & mask(family, len), len });
    return `"${text}" has host bits set past /${len}: write ${fixed}`;
  }
  return { family, addr, len };
}

export function formatPrefix(p: Prefix): string {
  return `${p.family === 4 ? formatIPv4(p.addr) : formatIPv6(p.addr)}/${p.len}`;
}

/** Whether `inner` lies inside `outer` (equal counts as inside). */
export function prefixContains(outer: Prefix, inner: Prefix): boolean {
  return outer.family === inner.family && outer.len <= inner.len && (inner.addr & mask(outer.family, outer.len)) === outer.addr;
}

/** Netmasks by prefix length, per family: prefixContains runs in the compiler's inner loops. */
const MASKS = { 4: masks(32), 6: masks(128) };

function masks(bits: number): bigint[] {
  const all = (1n << BigInt(bits)) - 1n;
  return Array.from({ length: bits + 1 }, (_, len) => (len === 0 ? 0n : (all << BigInt(bits - len)) & all));
}

function mask(family: 4 | 6, len: number): bigint {
  return MASKS[family][len];
}

/** Dotted quad, each part 0-255 without leading zeros. */
function parseIPv4(s: string): bigint | undefined {
  let v = 0;
  let parts = 0;
  let i = 0;
  while (parts < 4) {
    const start = i;
    let n = 0;
    while (i < s.length && i - start < 4) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      n = n * 10 + c;
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || n > 255 || (digits > 1 && s.charCodeAt(start) === 48)) return undefined;
    v = v * 256 + n;
    parts++;
    if (parts < 4) {
      if (s.charCodeAt(i) !== 46) return undefined; // "."
      i++;
    }
  }
  return i === s.length ? BigInt(v) : undefined;
}

function parseIPv6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let text = s;
  const groups: number[] = [];
  // A trailing dotted quad (::ffff:1.2.3.4) stands for the last two groups.
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = parseIPv4(tail);
    if (v4 === undefined || lastColon < 0) return undefined;
    text = `${text.slice(0, lastColon + 1)}${(Number(v4 >> 16n) & 0xffff).toString(16)}:${(Number(v4) & 0xffff).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parse = (h: string): number[] | undefined => {
    if (h === "") return [];
    const out: number[] = [];
    for (const g of h.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !rest) return undefined;
  if (halves.length === 2) {
    if (head.length + rest.length > 7) return undefined;
    groups.push(...head, ...new Array(8 - head.length - rest.length).fill(0), ...rest);
  } else {
    if (head.length !== 8) return undefined;
    groups.push(...head);
  }
  return groups.reduce((v, g) => (v << 16n) | BigInt(g), 0n);
}

function formatIPv4(a: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((a >> s) & 255n)).join(".");
}

/** RFC 5952: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as "::", leftmost on ties. */
function formatIPv6(a: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((a >> BigInt(i * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}
