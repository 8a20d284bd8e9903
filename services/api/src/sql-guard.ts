// POST /sql's gate: a single SELECT (or WITH … SELECT) and nothing that writes, sets, or reads files or
// URLs — refused here, before ClickHouse sees it. The read-only user (readonly=1) is the second wall.
import { ApiError } from "./errors.js";

export const MAX_SQL_CHARS = 65_536;

// statements and clauses a read query never needs; SETTINGS/SET would lift the limits. (SYSTEM … is
// refused by the first-word rule; as a word it is the system database.)
const FORBIDDEN_WORDS = [
  "INSERT",
  "ALTER",
  "DROP",
  "CREATE",
  "ATTACH",
  "DETACH",
  "RENAME",
  "TRUNCATE",
  "OPTIMIZE",
  "SET",
  "SETTINGS",
  "KILL",
  "GRANT",
  "REVOKE",
  "DELETE",
  "UPDATE",
  "EXCHANGE",
  "OUTFILE",
  "INFILE",
  "USE",
  "WATCH",
];
// table functions that reach files, URLs, other servers or processes
const FORBIDDEN_FUNCTIONS = [
  "file",
  "url",
  "urlCluster",
  "remote",
  "remoteSecure",
  "cluster",
  "clusterAllReplicas",
  "mysql",
  "postgresql",
  "jdbc",
  "odbc",
  "hdfs",
  "hdfsCluster",
  "s3",
  "s3Cluster",
  "gcs",
  "azureBlobStorage",
  "input",
  "executable",
  "sqlite",
  "mongodb",
  "redis",
  "deltaLake",
  "hudi",
  "iceberg",
  "fileCluster",
  "dictionary",
  "merge",
];
const FORBIDDEN_FUNCTION = new RegExp(`(?<![.\\w])(${FORBIDDEN_FUNCTIONS.join("|")})\\s*\\(`, "i");

const refuse = (why: string) => new ApiError("bad_request", `sql: ${why}`);

/** The text with every string, quoted name and comment blanked (same length), so words can be checked safely. */
export function maskSql(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const two = text.slice(i, i + 2);
    if (c === "'" || c === '"' || c === "`") {
      let j = i + 1;
      for (; j < text.length && text[j] !== c; j++) if (text[j] === "\\") j++;
      if (j >= text.length) throw refuse(`unterminated ${c} at offset ${i}`);
      out += c + " ".repeat(j - i - 1) + c;
      i = j + 1;
    } else if (two === "--" || c === "#") {
      const end = text.indexOf("\n", i);
      const j = end < 0 ? text.length : end;
      out += " ".repeat(j - i);
      i = j;
    } else if (two === "/*") {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) throw refuse(`unterminated /* comment at offset ${i}`);
      out += " ".repeat(end + 2 - i);
      i = end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The query to send (a trailing `;` and `FORMAT JSON` removed), or a 400 saying why it is refused. */
export function checkReadOnlySql(text: string): string {
  if (text.length > MAX_SQL_CHARS) throw refuse(`longer than ${MAX_SQL_CHARS} characters`);
  let masked = maskSql(text).trimEnd();
  let query = text.slice(0, masked.length);
  if (masked.endsWith(";")) {
    masked = masked.slice(0, -1).trimEnd();
    query = query.slice(0, masked.length);
  }
  if (masked.includes(";")) throw refuse("one statement only: remove the `;` between statements");
  const format = /\bFORMAT\s+(\w+)\s*$/i.exec(masked);
  if (format) {
    if (format[1].toUpperCase() !== "JSON") throw refuse(`FORMAT ${format[1]}: the API answers JSON; leave FORMAT out`);
    masked = masked.slice(0, format.index).trimEnd();
    query = query.slice(0, masked.length);
  }
  const first = /^\s*\(*\s*(\w+)/.exec(masked)?.[1]?.toUpperCase();
  if (first !== "SELECT" && first !== "WITH") throw refuse(`only SELECT is allowed, got ${first ?? "nothing"}`);
  // a word preceded by "." is a column or table name (system.settings), not a keyword
  for (const m of masked.matchAll(/(?<![.\w])([A-Za-z_]\w*)/g)) {
    const w = m[1].toUpperCase();
    if (w === "FORMAT") throw refuse("FORMAT: only a trailing FORMAT JSON is allowed");
    if (w === "INTO") throw refuse("INTO: a SELECT here cannot write anywhere");
    if (FORBIDDEN_WORDS.includes(w)) throw refuse(`${w} is not allowed: read-only SELECT only`);
  }
  const fn = FORBIDDEN_FUNCTION.exec(masked);
  if (fn) throw refuse(`table function ${fn[1]}() is not allowed: it reaches files, URLs or other servers`);
  return query;
}
