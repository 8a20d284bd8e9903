// Which catalog fields /values/{field} lists, and the SQL expressions their values are read from.
import { FIELDS, type FieldDef, fieldNamed, SHORTHANDS } from "@flowlens/flow-query";

/** Where a field's values come from: one expression per side (two for either-side shorthands). */
export interface ValueSource {
  /** the catalog name (an alias resolved) */
  field: string;
  /** SQL over `flows` columns, catalog constants only (never input) */
  expressions: string[];
  /** rows that have the field at all (L7 fields, ports), or undefined */
  present?: string;
}

// label/flag arrays and per-flow ids or counters are no autocomplete material
const LISTABLE = new Set(["string", "enum", "number", "ip", "protocol"]);
const NOT_LISTED = new Set(["uuid", "bytes", "packets"]);

function listable(f: FieldDef | undefined): f is FieldDef {
  return f !== undefined && LISTABLE.has(f.type) && !NOT_LISTED.has(f.name);
}

const expressionOf = (f: FieldDef) => f.expression ?? f.column;

/** The value source of a field name, alias or either-side shorthand; undefined when it is not listable. */
export function valueSource(name: string): ValueSource | undefined {
  const n = name.toLowerCase();
  const pair = SHORTHANDS[n];
  if (pair) {
    const [a, b] = pair.map((p) => fieldNamed(p));
    if (!listable(a) || !listable(b)) return undefined;
    return { field: n, expressions: [expressionOf(a), expressionOf(b)], present: a.present };
  }
  const f = fieldNamed(n);
  return listable(f) ? { field: f.name, expressions: [expressionOf(f)], present: f.present } : undefined;
}

const FIELD_NAMES = FIELDS.filter(listable).map((f) => f.name);

/** Every name valueSource accepts, for the error that lists them. */
export function listableNames(): string[] {
  return [...Object.keys(SHORTHANDS).filter((s) => valueSource(s)), ...FIELD_NAMES];
}
