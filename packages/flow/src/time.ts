// --since/--until values: a relative duration ("5m", "1h30m", "2d" = that long ago) or an RFC 3339 time.
import { create } from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
};

export class TimeParseError extends Error {
  override readonly name = "TimeParseError";
}

/** Parses a Go-style duration ("1h30m", "10s", "1.5h", "2d") into nanoseconds; throws TimeParseError. */
export function parseDurationNs(value: string): bigint {
  const s = value.trim();
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/y;
  let pos = 0;
  let total = 0n;
  if (s === "") throw new TimeParseError("empty duration");
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new TimeParseError(`invalid duration "${value}": use e.g. 30s, 5m, 1h30m or 2d`);
    const [whole = "0", frac = ""] = (m[1] ?? "0").split(".");
    const unit = UNIT_NS[m[2] ?? "s"] ?? 1n;
    total += BigInt(whole) * unit;
    if (frac) total += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    pos = re.lastIndex;
  }
  return total;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses RFC 3339 / RFC 3339 with nanoseconds into a Timestamp, keeping all nine fractional digits. */
export function parseRfc3339(value: string): Timestamp {
  const m = RFC3339.exec(value.trim());
  if (!m) throw new TimeParseError(`invalid time "${value}": use RFC 3339 like 2024-11-26T06:30:00Z`);
  const base = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[9]?.toUpperCase()}`);
  if (Number.isNaN(base)) throw new TimeParseError(`invalid time "${value}": not a real date`);
  const nanos = m[8] ? Number(m[8].padEnd(9, "0")) : 0;
  return create(TimestampSchema, { seconds: BigInt(base / 1000), nanos });
}

/**
 * Parses a --since/--until value: a duration means "that long before now", otherwise RFC 3339.
 * Throws TimeParseError with a message that says what to type.
 */
export function parseTimeArg(value: string, now: Date = new Date()): Timestamp {
  const v = value.trim();
  if (/^\d/.test(v) && !/^\d{4}-\d{2}-\d{2}/.test(v)) {
    let ns: bigint;
    try {
      ns = parseDurationNs(v);
    } catch {
      throw new TimeParseError(`invalid time "${value}": use a duration like 5m or 1h30m, or RFC 3339 like 2024-11-26T06:30:00Z`);
    }
    const nowNs = BigInt(now.getTime()) * 1_000_000n - ns;
    const seconds = nowNs / 1_000_000_000n - (nowNs < 0n && nowNs % 1_000_000_000n !== 0n ? 1n : 0n);
    return create(TimestampSchema, { seconds, nanos: Number(nowNs - seconds * 1_000_000_000n) });
  }
  return parseRfc3339(v);
}
