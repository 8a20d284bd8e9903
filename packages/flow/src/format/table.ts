// Table format: TIMESTAMP SOURCE DESTINATION TYPE VERDICT SUMMARY, aligned like Go's tabwriter (padding 3).
import type { Flow } from "@flowlens/proto";
import { flowColumns } from "./fields.js";
import { type FormatOptions, resolveOptions } from "./options.js";

const PADDING = 3;

/** Aligns rows of cells; every column but the last is padded to its widest cell plus 3 spaces. */
export function alignColumns(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.slice(0, -1).forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) => row.map((cell, i) => (i < row.length - 1 ? cell.padEnd((widths[i] ?? 0) + PADDING) : cell)).join(""))
    .map((line) => `${line}\n`)
    .join("");
}

export function tableHeader(options?: FormatOptions): string[] {
  const o = resolveOptions(options);
  return ["TIMESTAMP", ...(o.nodeName ? ["NODE"] : []), "SOURCE", "DESTINATION", "TYPE", "VERDICT", "SUMMARY"];
}

export function tableRow(flow: Flow, options?: FormatOptions): string[] {
  const o = resolveOptions(options);
  const c = flowColumns(flow, o);
  return [c.time, ...(o.nodeName ? [c.node] : []), c.src, c.dst, c.type, c.verdict, c.summary];
}

/** A complete table for a batch of flows (header included). */
export function formatTable(flows: Flow[], options?: FormatOptions): string {
  return alignColumns([tableHeader(options), ...flows.map((f) => tableRow(f, options))]);
}
