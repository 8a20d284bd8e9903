// FQDN and node-name glob patterns ("*.example.com", "cluster/node-*") compiled to anchored regular expressions
// on the linear-time RE2 engine ("*a*a*a…" would backtrack polynomially in a backtracking one).
import { compileRegex, type Regex } from "@flowlens/regex";
import { FilterError } from "./types.js";

/** Matches an FQDN (underscores allowed), used for an empty cluster or node part. */
const FQDN_RE = "(?:[-0-9_a-z]+(?:\\.[-0-9_a-z]+)*)";

/** Regex source for one FQDN pattern: "*" spans letters, digits, "-" and "."; throws on other characters. */
export function fqdnPatternSource(pattern: string): string {
  const p = pattern.trim().replace(/\.$/, "").toLowerCase();
  if (p === "") throw new Error("empty pattern");
  if (p.endsWith(".")) throw new Error("multiple trailing dots in pattern");
  let out = "";
  for (const ch of p) {
    if (ch === ".") out += "\\.";
    else if (ch === "*") out += "[-.0-9a-z]*";
    else if (/[-0-9_a-z]/.test(ch)) out += ch;
    else throw new Error(`invalid character "${ch}" in pattern`);
  }
  return out;
}

/** Regex source for "[cluster/]node"; an empty part matches any name, a missing cluster matches every cluster. */
export function nodeNamePatternSource(pattern: string): string {
  if (pattern === "") throw new Error("empty pattern");
  const parts = pattern.split("/");
  if (parts.length > 2) throw new Error("too many slashes in pattern");
  const [cluster, node] = parts.length === 1 ? ["", parts[0] ?? ""] : [parts[0] ?? "", parts[1] ?? ""];
  const c = cluster === "" ? FQDN_RE : fqdnPatternSource(cluster);
  const n = node === "" ? FQDN_RE : fqdnPatternSource(node);
  return `${c}/${n}`;
}

/** A pattern of `field` compiled, its refusal as a FilterError (one line, naming the field and value). */
function compiled(field: string, value: string, make: () => Regex): Regex {
  try {
    return make();
  } catch (err) {
    if (err instanceof FilterError) throw err;
    throw new FilterError(field, value, (err as Error).message, { cause: err });
  }
}

/** Client-supplied regexes, unanchored as in Hubble. */
export function filterRegexes(field: string, values: string[]): Regex[] {
  return values.map((v) => compiled(field, v, () => compileRegex(v, "search")));
}

/** One anchored matcher for glob patterns: true when any of them matches. */
export function anyOf(field: string, patterns: string[], toSource: (pattern: string) => string): Regex {
  const each = patterns.map((p) => compiled(field, p, () => compileRegex(toSource(p), "full")));
  return each.length === 1 ? each[0] : { source: patterns.join(", "), mode: "full", test: (input) => each.some((r) => r.test(input)) };
}
