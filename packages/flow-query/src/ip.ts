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

/** SQL: the address string in `column` (a validated identifier) lies in the CIDR. */
export function cidrSql(column: string, c: Cidr): Sql {
  if (c.family === 6) {
    const v4 = mappedV4(c);
    if (v4) return new Sql(`(${cidrV6(column, c)} OR ${cidrSql(column, v4).text})`);
    return new Sql(cidrV6(column, c));
  }
  const start = c.bytes.reduce((n, b) => n * 256 + b, 0);
  const size = 2 ** (32 - c.prefix);
  const lo = Math.floor(start / size) * size;
  const hi = lo + size - 1;
  const isV4 = `match(${column}, ${literal(V4_TEXT).text})`;
  const v4 = `(${isV4} AND IPv4StringToNum(if(${isV4}, ${column}, '0.0.0.0')) BETWEEN ${literal(lo).text} AND ${literal(hi).text})`;
  // and the same addresses written IPv4-mapped (::ffff:a.b.c.d), which the live filter matches too
  const mapped = cidrV6(column, { family: 6, bytes: [...MAPPED, ...c.bytes], prefix: 96 + c.prefix });
  return new Sql(`(${v4} OR ${mapped})`);
}

function cidrV6(column: string, c: Cidr): string {
  // IPv6: compare the 32 hex digits of the address; a prefix that ends inside a digit lists that digit's allowed values
  const hex = c.bytes
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("")
    .toUpperCase();
  const whole = Math.floor(c.prefix / 4);
  const rest = c.prefix % 4;
  const guarded = `hex(IPv6StringToNum(if(position(${column}, ':') > 0 AND match(${column}, '^[0-9A-Fa-f:.]+$'), ${column}, '::')))`;
  const parts = [`position(${column}, ':') > 0`];
  if (whole > 0) parts.push(`substring(${guarded}, 1, ${whole}) = ${literal(hex.slice(0, whole)).text}`);
  if (rest > 0) {
    const nibble = Number.parseInt(hex.charAt(whole), 16);
    const mask = (0xf << (4 - rest)) & 0xf;
    const allowed: string[] = [];
    for (let d = 0; d < 16; d++) if ((d & mask) === (nibble & mask)) allowed.push(d.toString(16).toUpperCase());
    parts.push(`substring(${guarded}, ${whole + 1}, 1) IN (${allowed.map((a) => literal(a).text).join(", ")})`);
  }
  return `(${parts.join(" AND ")})`;
}
