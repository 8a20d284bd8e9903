// Durations and sizes as operators write them in flags.
import { InvalidArgumentError } from "commander";

/** "500ms", "5s", "2m", "1h" or a bare number of milliseconds. */
export function parseDurationMs(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`"${v}" is not a duration (examples: 500ms, 5s, 2m, 1h)`);
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "ms"] ?? 1;
  return Math.round(Number(m[1]) * mult);
}

/** A duration of at least 1 ms. */
export function parsePositiveDurationMs(v: string): number {
  const ms = parseDurationMs(v);
  if (ms < 1) throw new InvalidArgumentError(`"${v}" must be longer than 0`);
  return ms;
}

/** "64MiB", "1GB", "500k" or a bare number of bytes (binary multiples); at least 1 byte. */
export function parseBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`"${v}" is not a size (examples: 65536, 64MiB, 1GB)`);
  const unit = (m[2] ?? "b").toLowerCase().replace(/b$/, "").replace("i", "");
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit] ?? 1;
  const n = Math.round(Number(m[1]) * mult);
  if (n < 1) throw new InvalidArgumentError(`size "${v}" must be at least 1 byte`);
  return n;
}
