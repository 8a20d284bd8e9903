// Label selectors (Kubernetes syntax, Cilium source prefixes; the live filter's parser) compiled to SQL over a
// labels array of "source:key=value" strings, with the live filter's reading of each label (parseLabel).

import { literal, Sql } from "@flowlens/clickhouse";
import { type LabelRequirement, parseLabelSelector } from "@flowlens/flow";

function reQuote(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&");
}

// A label's source is the text before a ':' that comes before any '='; "unspec" when there is none.
function prefixRe(req: LabelRequirement): string {
  if (req.source === undefined || req.source === "any") return "(?:[^:=]*:)?";
  if (req.source === "unspec") return "(?:unspec:)?";
  return `${reQuote(req.source)}:`;
}

function anyLabel(column: string, re: string): string {
  return `arrayExists(x -> match(x, ${literal(re).text}), ${column})`;
}

function requirementSql(column: string, req: LabelRequirement): string {
  const key = `^${prefixRe(req)}${reQuote(req.key)}`;
  // a label "k" without '=' has the empty value
  const valueIn = (values: string[]) => {
    const alts = values.filter((v) => v !== "").map(reQuote);
    const withValue = alts.length ? `=(?:${alts.join("|")})` : "";
    return values.includes("") ? `(?:${withValue ? `${withValue}|` : ""}=?)$` : `${withValue}$`;
  };
  switch (req.op) {
    case "exists":
      return anyLabel(column, `${key}(?:=.*)?$`);
    case "notexists":
      return `NOT ${anyLabel(column, `${key}(?:=.*)?$`)}`;
    case "eq":
    case "in":
      return anyLabel(column, `${key}${valueIn(req.values)}`);
    case "neq":
    case "notin":
      return `NOT ${anyLabel(column, `${key}${valueIn(req.values)}`)}`;
    case "gt":
    case "lt": {
      const n = literal(Number(req.values[0])).text;
      return `arrayExists(x -> match(x, ${literal(`${key}=-?[0-9]+$`).text}) AND toInt64OrZero(extract(x, '=(-?[0-9]+)$')) ${req.op === "gt" ? ">" : "<"} ${n}, ${column})`;
    }
  }
}

/** SQL: the labels in `column` are selected by the selector; throws Error (the live parser's message) on a bad one. */
export function selectorSql(column: string, selector: string): Sql {
  const reqs = parseLabelSelector(selector);
  if (reqs.length === 0) return new Sql("1");
  return new Sql(`(${reqs.map((r) => requirementSql(column, r)).join(" AND ")})`);
}
