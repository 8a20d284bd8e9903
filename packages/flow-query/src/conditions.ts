// One condition (field op values) to SQL, by field type; every value is validated here and reaches the
// SQL only through the literal builder. Negative operators are the NOT of their positive one.

import type { DescEnum } from "@bufbuild/protobuf";
import { ident, literal, Sql, TCP_FLAG_NAMES } from "@flowlens/clickhouse";
import {
  DropReasonSchema,
  FlowTypeSchema,
  L7FlowTypeSchema,
  TraceObservationPointSchema,
  TrafficDirectionSchema,
  VerdictSchema,
} from "@flowlens/proto";
import { compileRegex } from "@flowlens/regex";
import { type FilterPosition, FilterSyntaxError } from "./errors.js";
import type { CondExpr } from "./expr.js";
import { type FieldDef, fieldNamed, TYPE_OPS } from "./fields.js";
import { cidrListSql, parseCidr } from "./ip.js";
import { selectorSql } from "./labels.js";

const ENUMS: Record<NonNullable<FieldDef["enumName"]>, DescEnum> = {
  Verdict: VerdictSchema,
  DropReason: DropReasonSchema,
  FlowType: FlowTypeSchema,
  TrafficDirection: TrafficDirectionSchema,
  TraceObservationPoint: TraceObservationPointSchema,
  L7FlowType: L7FlowTypeSchema,
};

const HTTP = "(http_method != '' OR http_code != 0 OR http_url != '')";
const PROTOCOLS: Record<string, string> = {
  tcp: "protocol = 'TCP'",
  udp: "protocol = 'UDP'",
  sctp: "protocol = 'SCTP'",
  icmp: "protocol IN ('ICMPv4', 'ICMPv6')",
  icmpv4: "protocol = 'ICMPv4'",
  icmpv6: "protocol = 'ICMPv6'",
  http: HTTP,
  dns: "(dns_query != '' OR dns_rcode != 0 OR notEmpty(dns_qtypes))",
  kafka: "(kafka_topic != '' OR kafka_api_key != '')",
};

const MAX_VALUE_LENGTH = 1024;

class Values {
  constructor(
    private readonly c: CondExpr,
    private readonly field: FieldDef,
  ) {}
  fail(i: number, reason: string): never {
    const at: FilterPosition = this.c.valuePositions?.[i] ?? this.c.position ?? { offset: 0 };
    const text = this.c.values[i] ?? "";
    const shown = text.length > 60 ? `${text.slice(0, 40)}…(${text.length} characters)` : text;
    throw new FilterSyntaxError(`invalid value '${shown}' for ${this.field.name}: ${reason}`, at);
  }
}

function enumValue(v: Values, field: FieldDef, text: string, i: number): string {
  const desc = ENUMS[field.enumName as keyof typeof ENUMS];
  const byNumber = /^\d+$/.test(text) ? desc.values.find((e) => e.number === Number(text)) : undefined;
  const byName = desc.values.find((e) => e.name.toLowerCase() === text.toLowerCase());
  const e = byNumber ?? byName;
  if (!e) {
    const names = desc.values.filter((x) => x.number !== 0).map((x) => x.name);
    const list = names.length > 12 ? `${names.slice(0, 12).join(", ")}, … (${names.length} names or their numbers)` : names.join(", ");
    v.fail(i, `unknown ${field.enumName} (one of ${list})`);
  }
  // the rows keep an unset drop reason as '' (rows.ts)
  if (field.enumName === "DropReason" && e.number === 0) return "";
  return e.name;
}

function positive(c: CondExpr, field: FieldDef, op: string): string {
  const v = new Values(c, field);
  const col = field.expression ?? ident(field.column).text;
  c.values.forEach((text, i) => {
    if (text.length > MAX_VALUE_LENGTH) v.fail(i, `longer than ${MAX_VALUE_LENGTH} characters`);
  });
  const each = (f: (text: string, i: number) => string) => {
    const parts = c.values.map(f);
    return parts.length === 1 ? (parts[0] as string) : `(${parts.join(" OR ")})`;
  };
  switch (field.type) {
    case "string": {
      if (op === "~") {
        try {
          compileRegex(c.values[0] as string, "search");
        } catch (err) {
          v.fail(0, (err as Error).message);
        }
        return `match(${col}, ${literal(c.values[0] as string).text})`;
      }
      if (op === "like") return `${col} LIKE ${literal(c.values[0] as string).text}`;
      if (op === "=" || op === "in") {
        return each((text) => {
          if (field.caseInsensitive) return `upper(${col}) = ${literal(text.toUpperCase()).text}`;
          const slash = text.indexOf("/");
          if (field.namespaceColumn && slash >= 0) {
            return `(${ident(field.namespaceColumn).text} = ${literal(text.slice(0, slash)).text} AND ${col} = ${literal(text.slice(slash + 1)).text})`;
          }
          return `${col} = ${literal(text).text}`;
        });
      }
      return `${col} ${op} ${literal(c.values[0] as string).text}`;
    }
    case "number": {
      const nums = c.values.map((text, i) => {
        if (!/^-?\d{1,19}$/.test(text) || !Number.isSafeInteger(Number(text))) v.fail(i, "not an integer");
        return literal(Number(text)).text;
      });
      if (op === "in") return `${col} IN (${nums.join(", ")})`;
      return `${col} ${op} ${nums[0]}`;
    }
    case "enum": {
      const names = c.values.map((text, i) => literal(enumValue(v, field, text, i)).text);
      return names.length === 1 ? `${col} = ${names[0]}` : `${col} IN (${names.join(", ")})`;
    }
    case "ip": {
      const cidrs = c.values.map((text, i) => {
        const cidr = parseCidr(text);
        return "error" in cidr ? v.fail(i, cidr.error) : cidr;
      });
      return cidrListSql(ident(field.column).text, cidrs).text;
    }
    case "labels":
      try {
        return selectorSql(ident(field.column).text, c.values[0] as string).text;
      } catch (err) {
        return v.fail(0, (err as Error).message);
      }
    case "flags":
      return each((text, i) => {
        const flag = text.toUpperCase();
        if (!(TCP_FLAG_NAMES as readonly string[]).includes(flag)) v.fail(i, `not a TCP flag (${TCP_FLAG_NAMES.join(" ")})`);
        return `has(${col}, ${literal(flag).text})`;
      });
    case "bool": {
      const b = (c.values[0] as string).toLowerCase();
      if (!["true", "false", "1", "0"].includes(b)) v.fail(0, "use true or false");
      // Hubble: an unknown is_reply (-1) counts as false on drops only
      return b === "true" || b === "1" ? `${col} = 1` : `(${col} = 0 OR (${col} = -1 AND verdict = 'DROPPED'))`;
    }
    case "protocol":
      return each((text, i) => {
        const sqlText = PROTOCOLS[text.toLowerCase()];
        if (!sqlText) return v.fail(i, `unknown protocol (one of ${Object.keys(PROTOCOLS).join(", ")})`);
        return sqlText;
      });
  }
}

/** The field as a rollup table has it: its rollup column, no raw-only expression or presence test. */
function onRollup(field: FieldDef, table: string, at: FilterPosition): FieldDef {
  if (!field.rollup || !field.rollupTables?.includes(table)) throw new FilterSyntaxError(`${field.name} is not a column of ${table}`, at);
  const namespaceColumn = field.namespaceColumn ? field.rollup.replace(/_pod$/, "_namespace") : undefined;
  return { ...field, column: field.rollup, namespaceColumn, expression: undefined, present: undefined };
}

/**
 * Raw flows read by connection, as the rollups count them (a reply counts for the connection it answers):
 * a subquery over `flows` that adds each rollup column (source_namespace, destination_port, …). Filters on
 * it read those columns for the fields the rollups have and raw columns for the rest, so an aggregation
 * gives the same numbers whichever table it reads.
 */
export const ORIENTED_FLOWS = "flows_oriented";

function oriented(field: FieldDef): FieldDef {
  if (!field.rollup) return field;
  const namespaceColumn = field.namespaceColumn ? field.rollup.replace(/_pod$/, "_namespace") : undefined;
  return { ...field, column: field.rollup, namespaceColumn, expression: undefined };
}

/**
 * SQL for one condition over the `flows` columns, over a rollup table's columns when `table` names one,
 * or over ORIENTED_FLOWS; throws FilterSyntaxError for a bad field, operator or value, or a field the rollup lacks.
 */
export function condToSql(c: CondExpr, table = "flows"): Sql {
  const named = fieldNamed(c.field);
  const at = c.position ?? { offset: 0 };
  if (!named) throw new FilterSyntaxError(`unknown field '${c.field}'`, at);
  const field = table === "flows" ? named : table === ORIENTED_FLOWS ? oriented(named) : onRollup(named, table, at);
  if (!TYPE_OPS[field.type].includes(c.op)) {
    throw new FilterSyntaxError(`operator ${c.op.toUpperCase()} does not apply to ${field.name}`, at);
  }
  if (c.values.length === 0 || (c.op !== "in" && c.op !== "not in" && c.values.length !== 1)) {
    throw new FilterSyntaxError(
      `${field.name} ${c.op.toUpperCase()} needs ${c.op.endsWith("in") ? "at least one value" : "one value"}`,
      at,
    );
  }
  const negative = c.op === "!=" || c.op === "not in";
  const op = c.op === "!=" ? "=" : c.op === "not in" ? "in" : c.op;
  let text = positive(c, field, op);
  if (field.present) text = `(${field.present} AND ${text})`;
  return new Sql(negative ? `NOT (${text})` : `(${text})`);
}
