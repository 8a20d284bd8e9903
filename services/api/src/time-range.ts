// since/until values: RFC 3339, unix seconds, or a duration before now (15m, 2h, 7d, 1h30m).
import { parseDurationNs, parseRfc3339 } from "@flowlens/flow";
import { ApiError } from "./errors.js";

const UNIX_SECONDS = /^\d{1,11}(\.\d{1,9})?$/;
// a duration always ends in a unit letter; "1700000000" has none and is unix seconds
const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d))+$/;

/** Milliseconds since the epoch of a since/until value; `name` is the parameter, for the error. */
export function parseTimeParam(name: string, value: string, now: Date): number {
  const v = value.trim();
  if (v.length > 64) throw new ApiError("bad_request", `${name}: longer than 64 characters`);
  if (UNIX_SECONDS.test(v)) return Math.round(Number(v) * 1000);
  if (DURATION.test(v)) return now.getTime() - Number(parseDurationNs(v) / 1_000_000n);
  try {
    const ts = parseRfc3339(v);
    return Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6);
  } catch {
    throw new ApiError(
      "bad_request",
      `${name}: "${v}" is not RFC 3339 (2024-11-26T06:30:00Z), unix seconds or a duration like 15m, 2h, 7d`,
    );
  }
}

export interface TimeRange {
  sinceMs: number;
  untilMs: number;
}

/** The range of a request; since defaults to `defaultSpanMs` before until, until to now. */
export function parseTimeRange(
  since: string | undefined,
  until: string | undefined,
  now: Date,
  defaultSpanMs: number,
  maxSpanMs: number,
): TimeRange {
  const untilMs = until === undefined ? now.getTime() : parseTimeParam("until", until, now);
  const sinceMs = since === undefined ? untilMs - defaultSpanMs : parseTimeParam("since", since, now);
  if (sinceMs > untilMs) throw new ApiError("bad_request", "since is after until");
  if (untilMs - sinceMs > maxSpanMs)
    throw new ApiError(
      "range_too_large",
      `the range is ${Math.ceil((untilMs - sinceMs) / 3_600_000)} h; raw flows are read for at most ${maxSpanMs / 3_600_000} h at a time: narrow since/until`,
    );
  return { sinceMs, untilMs };
}
