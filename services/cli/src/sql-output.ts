// `flowlens sql` results as a table, CSV (RFC 4180) or the API's JSON.
import { renderTable } from "./output.js";

export const SQL_FORMATS = ["table", "csv", "json"] as const;
export type SqlFormat = (typeof SQL_FORMATS)[number];

export interface SqlResult {
  rows: Record<string, unknown>[];
  meta: { name: string; type: string }[];
  rowCount: number;
  limitReached: boolean;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function columns(r: SqlResult): string[] {
  return r.meta.length ? r.meta.map((m) => m.name) : Object.keys(r.rows[0] ?? {});
}

export function formatSqlResult(r: SqlResult, format: SqlFormat): string {
  if (format === "json") return `${JSON.stringify(r)}\n`;
  const cols = columns(r);
  const rows = r.rows.map((row) => cols.map((c) => cell(row[c])));
  if (format === "csv") return [cols, ...rows].map((line) => `${line.map(csvField).join(",")}\r\n`).join("");
  if (cols.length === 0) return "";
  // a table cell stays on one line
  return `${renderTable(
    cols,
    rows.map((line) => line.map((c) => c.replace(/[\r\n\t]/g, " "))),
  )}`;
}
