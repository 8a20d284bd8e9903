// --time-format: the timestamp layouts `observe` can print (names as in Hubble).
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { rfc3339Nano, stampMilli, type TimeLayout } from "@flowlens/flow";
import { UsageError } from "./errors.js";

function rfc3339(digits: number): TimeLayout {
  return (ts: Timestamp | undefined) => {
    if (!ts) return "N/A";
    const base = new Date(Number(ts.seconds) * 1000).toISOString().slice(0, 19);
    const frac = digits ? `.${String(ts.nanos).padStart(9, "0").slice(0, digits)}` : "";
    return `${base}${frac}Z`;
  };
}

export const TIME_FORMATS: Record<string, TimeLayout> = {
  StampMilli: stampMilli,
  RFC3339: rfc3339(0),
  RFC3339Milli: rfc3339(3),
  RFC3339Micro: rfc3339(6),
  RFC3339Nano: rfc3339Nano,
};

export function parseTimeFormat(name: string): TimeLayout {
  const layout = TIME_FORMATS[name] ?? Object.entries(TIME_FORMATS).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  if (!layout) throw new UsageError(`unknown --time-format "${name}": use one of ${Object.keys(TIME_FORMATS).join(", ")}`);
  return layout;
}
