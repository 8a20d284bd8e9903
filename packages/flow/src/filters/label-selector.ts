// Kubernetes label selector syntax (k=v, k==v, k!=v, k in (a,b), k notin (a,b), k, !k, k>n, k<n)
// with Cilium's optional source prefix on keys ("k8s:app=web"), matched against "source:key=value" label strings.

export type LabelOp = "exists" | "notexists" | "eq" | "neq" | "in" | "notin" | "gt" | "lt";

export interface LabelRequirement {
  /** Cilium label source ("k8s", "reserved", …); undefined or "any" matches every source. */
  source?: string;
  key: string;
  op: LabelOp;
  values: string[];
}

export interface ParsedLabel {
  source: string;
  key: string;
  value: string;
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function validKey(key: string): boolean {
  const slash = key.lastIndexOf("/");
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) return false;
  if (slash < 0) return true;
  const prefix = key.slice(0, slash);
  return prefix.length > 0 && prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix);
}

function validValue(value: string): boolean {
  return value === "" || (value.length <= 63 && NAME.test(value));
}

/** "k8s:app=web" → {source:"k8s", key:"app", value:"web"}; a label without a source gets "unspec". */
export function parseLabel(label: string): ParsedLabel {
  const eq = label.indexOf("=");
  const colon = label.indexOf(":");
  let source = "unspec";
  let rest = label;
  if (colon >= 0 && (eq < 0 || colon < eq)) {
    source = label.slice(0, colon);
    rest = label.slice(colon + 1);
  }
  const e = rest.indexOf("=");
  return e < 0 ? { source, key: rest, value: "" } : { source, key: rest.slice(0, e), value: rest.slice(e + 1) };
}

type Token = { kind: "word"; text: string } | { kind: "op"; text: string };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input.charAt(i);
    if (/\s/.test(c)) {
      i++;
    } else if ("(),".includes(c)) {
      tokens.push({ kind: "op", text: c });
      i++;
    } else if (c === "=" || c === "!") {
      const two = input.slice(i, i + 2);
      if (two === "==" || two === "!=") {
        tokens.push({ kind: "op", text: two });
        i += 2;
      } else {
        tokens.push({ kind: "op", text: c });
        i++;
      }
    } else if (c === "<" || c === ">") {
      tokens.push({ kind: "op", text: c });
      i++;
    } else {
      let j = i;
      while (j < input.length && !/[\s(),=!<>]/.test(input.charAt(j))) j++;
      tokens.push({ kind: "word", text: input.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

function splitSourceKey(word: string): { source?: string; key: string } {
  const colon = word.indexOf(":");
  return colon < 0 ? { key: word } : { source: word.slice(0, colon), key: word.slice(colon + 1) };
}

/** Parses a selector; throws Error with a short reason on bad syntax. "" selects everything. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const tokens = tokenize(selector);
  const reqs: LabelRequirement[] = [];
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const expectWord = (what: string): string => {
    const t = next();
    if (t?.kind !== "word") throw new Error(`expected ${what}`);
    return t.text;
  };
  const checkedKey = (word: string) => {
    const sk = splitSourceKey(word);
    if (!validKey(sk.key)) throw new Error(`invalid label key "${sk.key}"`);
    return sk;
  };
  const checkedValue = (v: string) => {
    if (!validValue(v)) throw new Error(`invalid label value "${v}"`);
    return v;
  };
  while (pos < tokens.length) {
    const first = next();
    if (first?.kind === "op" && first.text === "!") {
      reqs.push({ ...checkedKey(expectWord("a key after '!'")), op: "notexists", values: [] });
    } else if (first?.kind === "word") {
      const sk = checkedKey(first.text);
      const t = peek();
      if (t === undefined || (t.kind === "op" && t.text === ",")) {
        reqs.push({ ...sk, op: "exists", values: [] });
      } else if (t.kind === "op" && (t.text === "=" || t.text === "==" || t.text === "!=")) {
        next();
        const nt = peek();
        const value = nt?.kind === "word" ? (next() as Token).text : "";
        reqs.push({ ...sk, op: t.text === "!=" ? "neq" : "eq", values: [checkedValue(value)] });
      } else if (t.kind === "op" && (t.text === "<" || t.text === ">")) {
        next();
        const value = expectWord("a number");
        if (!/^-?\d+$/.test(value)) throw new Error(`"${value}" is not an integer`);
        reqs.push({ ...sk, op: t.text === ">" ? "gt" : "lt", values: [value] });
      } else if (t.kind === "word" && (t.text === "in" || t.text === "notin")) {
        next();
        const open = next();
        if (open?.kind !== "op" || open.text !== "(") throw new Error(`expected "(" after ${t.text}`);
        const values: string[] = [];
        for (;;) {
          const v = next();
          if (v?.kind === "word") values.push(checkedValue(v.text));
          else if (v?.kind === "op" && v.text === ")") break;
          else if (!(v?.kind === "op" && v.text === ",")) throw new Error(`unterminated value set for "${first.text}"`);
        }
        if (values.length === 0) throw new Error(`empty value set for "${first.text}"`);
        reqs.push({ ...sk, op: t.text, values });
      } else {
        throw new Error(`unexpected "${t.text}" after "${first.text}"`);
      }
    } else {
      throw new Error(`unexpected "${first?.text}"`);
    }
    const sep = next();
    if (sep !== undefined && !(sep.kind === "op" && sep.text === ",")) throw new Error(`expected "," before "${sep.text}"`);
  }
  return reqs;
}

function valuesFor(req: LabelRequirement, labels: ParsedLabel[]): string[] {
  const anySource = req.source === undefined || req.source === "any";
  return labels.filter((l) => l.key === req.key && (anySource || l.source === req.source)).map((l) => l.value);
}

/** True when every requirement holds for the labels. */
export function selectorMatches(reqs: LabelRequirement[], labels: ParsedLabel[]): boolean {
  return reqs.every((req) => {
    const vals = valuesFor(req, labels);
    switch (req.op) {
      case "exists":
        return vals.length > 0;
      case "notexists":
        return vals.length === 0;
      case "eq":
      case "in":
        return vals.some((v) => req.values.includes(v));
      case "neq":
      case "notin":
        return !vals.some((v) => req.values.includes(v));
      case "gt":
        return vals.some((v) => /^-?\d+$/.test(v) && Number(v) > Number(req.values[0]));
      case "lt":
        return vals.some((v) => /^-?\d+$/.test(v) && Number(v) < Number(req.values[0]));
    }
    return false;
  });
}
