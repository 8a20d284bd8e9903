// Shared printing: line output that goes quiet once the reader is gone (EPIPE), tables and number formats.
import type { Writable } from "node:stream";
import { alignColumns } from "@flowlens/flow";

/** Writes text to a stream; after the reader closed the pipe, writes are dropped and `closed` is true. */
export class Output {
  closed = false;
  constructor(private readonly stream: Writable) {}

  write(text: string): void {
    if (this.closed || this.stream.destroyed) return;
    this.stream.write(text);
  }

  line(text: string): void {
    this.write(`${text}\n`);
  }

  /** Resolves once everything written so far has reached the stream (or the pipe is gone). */
  drain(): Promise<void> {
    if (this.closed || this.stream.destroyed || !this.stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      this.stream.once("drain", resolve);
      this.stream.once("close", resolve);
    });
  }
}

/** Columns padded like Go's tabwriter (3 spaces), so tables look like Hubble's. */
export function renderTable(header: string[], rows: string[][]): string {
  return alignColumns([header, ...rows]);
}

/** 16380 → "16,380". */
export function formatCount(n: number | bigint): string {
  return n.toLocaleString("en-US");
}

/** Go's %.2f. */
export function fixed2(n: number): string {
  return n.toFixed(2);
}

/** A short age as kubectl prints it: "45s", "5m30s", "120m", "3h4m", "20h", "2d5h", "30d", "2y". */
export function formatAge(ns: bigint): string {
  const s = Number(ns / 1_000_000_000n);
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const d = Math.floor(h / 24);
  const part = (n: number, unit: string) => (n ? `${n}${unit}` : "");
  if (s < 120) return `${s}s`;
  if (m < 10) return `${m}m${part(s % 60, "s")}`;
  if (m < 180) return `${m}m`;
  if (h < 8) return `${h}h${part(m % 60, "m")}`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return `${d}d${part(h % 24, "h")}`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}
