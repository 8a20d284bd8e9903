// Timestamp layouts used by the printers: Go's StampMilli ("Jan _2 15:04:05.000", UTC) as Hubble prints by default.
import type { Timestamp } from "@bufbuild/protobuf/wkt";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const two = (n: number) => String(n).padStart(2, "0");

/** "Nov 26 06:30:01.123"; the day is space-padded like Go's "_2". "N/A" when missing. */
export function stampMilli(ts: Timestamp | undefined): string {
  if (!ts) return "N/A";
  const ms = Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6);
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return "N/A";
  const day = String(d.getUTCDate()).padStart(2, " ");
  const millis = String(d.getUTCMilliseconds()).padStart(3, "0");
  return `${MONTHS[d.getUTCMonth()]} ${day} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${millis}`;
}

/** RFC 3339 with nanoseconds, UTC, for --time-format RFC3339Nano. */
export function rfc3339Nano(ts: Timestamp | undefined): string {
  if (!ts) return "N/A";
  const d = new Date(Number(ts.seconds) * 1000);
  const base = d.toISOString().slice(0, 19);
  const frac = ts.nanos ? `.${String(ts.nanos).padStart(9, "0").replace(/0+$/, "")}` : "";
  return `${base}${frac}Z`;
}

export type TimeLayout = (ts: Timestamp | undefined) => string;
