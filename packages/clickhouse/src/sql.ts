// The one place SQL text is built from values: literal() for every value, ident() for every name.
// 18.16 has no server-side query parameters, so everything a query needs goes through these two.

/** A value that literal() can render. */
export type SqlValue = string | number | bigint | boolean | Date | readonly SqlValue[];

/** A piece of SQL text that is already safe to splice into a statement. */
export class Sql {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A validated identifier (database, table, column); throws on anything but [A-Za-z_][A-Za-z0-9_]*. */
export function ident(name: string): Sql {
  if (typeof name !== "string" || !IDENT.test(name) || name.length > 128) {
    throw new Error(`invalid SQL identifier ${JSON.stringify(name)}: use letters, digits and _ (not first)`);
  }
  return new Sql(name);
}

/** A qualified name db.table, both parts validated. */
export function qualified(database: string, table: string): Sql {
  return new Sql(`${ident(database).text}.${ident(table).text}`);
}

// Inside '…' ClickHouse treats backslash as an escape; quote, backslash and control bytes are escaped.
function quoteString(s: string): string {
  let out = "'";
  for (const ch of s) {
    switch (ch) {
      case "\\":
        out += "\\\\";
        break;
      case "'":
        out += "\\'";
        break;
      case "\n":
        out += "\\n";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\t":
        out += "\\t";
        break;
      case "\0":
        out += "\\0";
        break;
      default: {
        const code = ch.codePointAt(0) ?? 0;
        out += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, "0")}` : ch;
      }
    }
  }
  return `${out}'`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** 'YYYY-MM-DD hh:mm:ss' in UTC: the DateTime text format both 18.16 and current ClickHouse parse. */
export function dateTimeText(d: Date): string {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new Error("invalid Date in SQL value");
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/**
 * One SQL literal for a value: strings quoted and escaped, finite numbers, bigints, booleans as 1/0,
 * Dates as toDateTime('…', 'UTC') (second precision), arrays as [a, b]. NaN and ±Infinity are refused.
 */
export function literal(value: SqlValue): Sql {
  switch (typeof value) {
    case "string":
      return new Sql(quoteString(value));
    case "number":
      if (!Number.isFinite(value)) throw new Error(`cannot use ${value} as a SQL value: only finite numbers`);
      return new Sql(Object.is(value, -0) ? "0" : String(value));
    case "bigint":
      return new Sql(value.toString());
    case "boolean":
      return new Sql(value ? "1" : "0");
    default:
      if (value instanceof Date) return new Sql(`toDateTime(${quoteString(dateTimeText(value))}, 'UTC')`);
      if (Array.isArray(value)) return new Sql(`[${value.map((v) => literal(v).text).join(", ")}]`);
      throw new Error(`cannot use a ${value === null ? "null" : typeof value} as a SQL value`);
  }
}

/** Tagged template: `sql\`SELECT … WHERE x = ${v}\`` renders each value with literal(); Sql pieces pass as they are. */
export function sql(strings: TemplateStringsArray, ...values: (SqlValue | Sql)[]): Sql {
  let out = strings[0];
  values.forEach((v, i) => {
    out += (v instanceof Sql ? v.text : literal(v).text) + strings[i + 1];
  });
  return new Sql(out);
}

/** Joins SQL pieces with a separator (the separator is code, not input). */
export function joinSql(parts: readonly Sql[], separator: string): Sql {
  return new Sql(parts.map((p) => p.text).join(separator));
}
