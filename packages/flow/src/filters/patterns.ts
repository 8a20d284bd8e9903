// FQDN and node-name glob patterns ("*.example.com", "cluster/node-*") compiled to anchored regular expressions.

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

export function anyOf(sources: string[]): RegExp {
  return new RegExp(`^(?:${sources.join("|")})$`);
}
