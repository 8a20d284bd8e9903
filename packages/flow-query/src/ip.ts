// IP and CIDR matching in SQL over address strings, on 18.16 and current ClickHouse alike: no IPv4/IPv6
// types, no isIPv4String, and the *StringToNum functions only ever see a well-formed input (current
// releases throw on a bad one, so each call's argument is guarded by an if()).
import { isIP } from "node:net";
import { literal, Sql } from "@flowlens/clickhouse";

export interface Cidr {
  family: 4 | 6;
  /** The network address as 4 or 16 bytes. */
  bytes: number[];
  prefix: number;
}

function v6Bytes(addr: string): number[] {
  // expand "::" and a trailing dotted quad, then read 8 groups
  let text = addr;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const b = (dotted[1] as string).split(".").map(Number);
    text = `${text.slice(0, dotted.index)}${(((b[0] ?? 0) << 8) | (b[1] ?? 0)).toString(16)}:${(((b[2] ?? 0) << 8) | (b[3] ?? 0)).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 255];
  });
}

/** Parses "10.0.0.0/8", "fd00::/8", "10.1.2.3", "2001:db8::1"; undefined when it is none of those. */
export function parseCidr(value: string): Cidr | { error: string } {
  const v = value.trim();
  const slash = v.indexOf("/");
  const addr = slash < 0 ? v : v.slice(0, slash);
  const family = isIP(addr);
  if (family === 0) return { error: "not an IP address or CIDR" };
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const bits = v.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return { error: `bad CIDR prefix length (0-${max})` };
    prefix = Number(bits);
  }
  const bytes = family === 4 ? addr.split(".").map(Number) : v6Bytes(addr);
  return { family: family === 4 ? 4 : 6, bytes, prefix };
}

const V4_TEXT = "^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$";

const MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255];

/** The IPv4 addresses an IPv6 CIDR holds as IPv4-mapped ones (::ffff:a.b.c.d), as a v4 CIDR; the live filter (node's BlockList) matches those. */
function mappedV4(c: Cidr): Cidr | undefined {
  const fixed = Math.min(c.prefix, 96);
  for (let bit = 0; bit < fixed; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if (((c.bytes[byte] ?? 0) & mask) !== ((MAPPED[byte] ?? 0) & mask)) return undefined;
  }
  return { family: 4, bytes: c.bytes.slice(12), prefix: Math.max(0, c.prefix - 96) };
}

function v4Range(c: Cidr): [number, number] {
  const start = c.bytes.reduce((n, b) => n * 256 + b, 0);
  const size = 2 ** (32 - c.prefix);
  const lo = Math.floor(start / size) * size;
  return [lo, lo + size - 1];
}

// a v6 prefix as a regex over the 32 upper-case hex digits: whole digits, then the allowed values of a partial one
function v6HexPattern(c: Cidr): string {
  const hex = c.bytes
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("")
    .toUpperCase();
  const whole = Math.floor(c.prefix / 4);
  const rest = c.prefix % 4;
  let re = hex.slice(0, whole);
  if (rest > 0) {
    const nibble = Number.parseInt(hex.charAt(whole), 16);
    const mask = (0xf << (4 - rest)) & 0xf;
    let allowed = "";
    for (let d = 0; d < 16; d++) if ((d & mask) === (nibble & mask)) allowed += d.toString(16).toUpperCase();
    re += `[${allowed}]`;
  }
  return re;
}

/**
 * SQL: the address string in `column` (a validated identifier) lies in any of the CIDRs. IPv4 ranges compare
 * a guarded IPv4StringToNum (of the address with a "::ffff:" prefix removed: the live filter matches mapped
 * addresses too); IPv6 prefixes match the hex digits of a guarded IPv6StringToNum with one regex. Each
 * conversion appears once, whatever the number of CIDRs, to keep the statement small.
 */
export function cidrListSql(column: string, cidrs: readonly Cidr[]): Sql {
  const v4: Cidr[] = [];
  const v6: Cidr[] = [];
  for (const c of cidrs) {
    if (c.family === 4) v4.push(c);
    else {
      v6.push(c);
      const m = mappedV4(c);
      if (m) v4.push(m);
    }
  }
  const parts: string[] = [];
  if (v4.length) {
    const s = `replaceRegexpOne(${column}, '^::[fF]{4}:', '')`;
    const isV4 = `match(${s}, ${literal(V4_TEXT).text})`;
    const n = `IPv4StringToNum(if(${isV4}, ${s}, '0.0.0.0'))`;
    const exact = v4.filter((c) => c.prefix === 32).map((c) => literal(v4Range(c)[0]).text);
    const ranges = v4.filter((c) => c.prefix < 32).map((c) => v4Range(c).map((x) => literal(x).text));
    const tests = [...(exact.length ? [`${n} IN (${exact.join(", ")})`] : []), ...ranges.map(([lo, hi]) => `${n} BETWEEN ${lo} AND ${hi}`)];
    parts.push(`(${isV4} AND (${tests.join(" OR ")}))`);
  }
  if (v6.length) {
    const hex = `hex(IPv6StringToNum(if(position(${column}, ':') > 0 AND match(${column}, '^[0-9A-Fa-f:.]+$'), ${column}, '::')))`;
    const re = `^(?:${v6.map(v6HexPattern).join("|")})`;
    parts.push(`(position(${column}, ':') > 0 AND match(${hex}, ${literal(re).text}))`);
  }
  return new Sql(parts.length === 1 ? (parts[0] as string) : `(${parts.join(" OR ")})`);
}
