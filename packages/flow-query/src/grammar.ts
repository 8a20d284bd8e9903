// The filter language's grammar, in one file: a small recursive-descent parser. (Hand-written rather than a
// PEG or combinator library: four rules, and what matters here — exact offsets/lines/columns, one-line
// messages, depth/size limits checked while parsing — is simpler to own than to bend a generator to.)
//
//   or    := and (OR and)*
//   and   := unary (AND unary)*
//   unary := NOT unary | "(" or ")" | cond
//   cond  := field op value | field [NOT] IN "(" value ("," value)* ")"
//   op    := = | != | < | <= | > | >= | LIKE | ~          (== is read as =, <> as !=)
//   value := 'string' | "string" (backslash escapes \\ \' \" \n \t \r) | bare word (10.0.0.0/8, fd00::/8, DROPPED, 443, default/web)
//   field := letters, digits, _ (a catalog field, alias or either-side shorthand; keywords are case-insensitive)
import { closest } from "fastest-levenshtein";
import { type FilterPosition, FilterSyntaxError, positionIn } from "./errors.js";
import { andExprs, type CondExpr, type CondOp, cond, type FilterExpr, notExpr, orExprs } from "./expr.js";
import { fieldNamed, KNOWN_NAMES, SHORTHANDS, TYPE_OPS } from "./fields.js";

/** Longest filter text, in UTF-8 bytes. */
export const MAX_FILTER_BYTES = 4096;
/** Deepest nesting of parentheses and NOTs. */
export const MAX_DEPTH = 32;
/** Most values in one IN list. */
export const MAX_IN_VALUES = 1000;

type TokenKind = "word" | "string" | "op" | "(" | ")" | "," | "end";
interface Token {
  kind: TokenKind;
  text: string;
  offset: number;
}

const OPS = ["<=", ">=", "!=", "==", "<>", "=", "<", ">", "~"];
const BARE_STOP = /[\s(),'"=!<>~]/;
const ESCAPES: Record<string, string> = { "\\": "\\", "'": "'", '"': '"', n: "\n", t: "\t", r: "\r", "0": "\0" };

class Parser {
  private tokens: Token[] = [];
  private pos = 0;
  private depth = 0;

  constructor(private readonly text: string) {}

  at(offset: number): FilterPosition {
    return positionIn(this.text, offset);
  }

  fail(problem: string, offset: number, hint?: string): never {
    throw new FilterSyntaxError(problem, this.at(offset), hint);
  }

  lex(): void {
    const s = this.text;
    let i = 0;
    while (i < s.length) {
      const c = s.charAt(i);
      if (/\s/.test(c)) {
        i++;
        continue;
      }
      if (c === "(" || c === ")" || c === ",") {
        this.tokens.push({ kind: c, text: c, offset: i });
        i++;
        continue;
      }
      const op = OPS.find((o) => s.startsWith(o, i));
      if (op) {
        this.tokens.push({ kind: "op", text: op === "==" ? "=" : op === "<>" ? "!=" : op, offset: i });
        i += op.length;
        continue;
      }
      if (c === "'" || c === '"') {
        const start = i;
        let out = "";
        i++;
        for (;;) {
          if (i >= s.length) this.fail("unterminated string", start);
          const ch = s.charAt(i);
          if (ch === c) break;
          if (ch === "\\") {
            const e = ESCAPES[s.charAt(i + 1)];
            if (e === undefined) this.fail(`unknown escape '\\${s.charAt(i + 1)}' in string`, i);
            out += e;
            i += 2;
            continue;
          }
          out += ch;
          i++;
        }
        i++;
        this.tokens.push({ kind: "string", text: out, offset: start });
        continue;
      }
      if (c === "!") this.fail("unexpected '!' (use != or NOT)", i);
      const start = i;
      while (i < s.length && !BARE_STOP.test(s.charAt(i))) i++;
      this.tokens.push({ kind: "word", text: s.slice(start, i), offset: start });
    }
    this.tokens.push({ kind: "end", text: "", offset: s.length });
  }

  peek(): Token {
    return this.tokens[this.pos] as Token;
  }

  next(): Token {
    return this.tokens[this.pos++] as Token;
  }

  isKeyword(t: Token, kw: string): boolean {
    return t.kind === "word" && t.text.toLowerCase() === kw;
  }

  describe(t: Token): string {
    return t.kind === "end" ? "end of filter" : t.kind === "string" ? `string '${t.text}'` : `'${t.text}'`;
  }

  enter(offset: number): void {
    if (++this.depth > MAX_DEPTH) this.fail(`filter nested deeper than ${MAX_DEPTH} levels`, offset);
  }

  parseOr(): FilterExpr {
    const items = [this.parseAnd()];
    while (this.isKeyword(this.peek(), "or")) {
      this.next();
      items.push(this.parseAnd());
    }
    return items.length === 1 ? (items[0] as FilterExpr) : { kind: "or", items };
  }

  parseAnd(): FilterExpr {
    const items = [this.parseUnary()];
    while (this.isKeyword(this.peek(), "and")) {
      this.next();
      items.push(this.parseUnary());
    }
    return items.length === 1 ? (items[0] as FilterExpr) : { kind: "and", items };
  }

  parseUnary(): FilterExpr {
    const t = this.peek();
    if (this.isKeyword(t, "not")) {
      this.next();
      this.enter(t.offset);
      const inner = this.parseUnary();
      this.depth--;
      return notExpr(inner);
    }
    if (t.kind === "(") {
      this.next();
      this.enter(t.offset);
      const inner = this.parseOr();
      this.depth--;
      const close = this.next();
      if (close.kind !== ")")
        this.fail(
          `expected ')' to close the '(' at ${this.at(t.offset).line}:${this.at(t.offset).column}, found ${this.describe(close)}`,
          close.offset,
        );
      return inner;
    }
    return this.parseCond();
  }

  parseValue(): { text: string; offset: number } {
    const t = this.next();
    if (t.kind === "string") return { text: t.text, offset: t.offset };
    if (t.kind === "word" && !["and", "or", "not", "in", "like"].includes(t.text.toLowerCase())) return { text: t.text, offset: t.offset };
    return this.fail(`expected a value, found ${this.describe(t)}`, t.offset);
  }

  parseCond(): FilterExpr {
    const f = this.next();
    if (f.kind !== "word" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.text)) {
      return this.fail(`expected a field name, found ${this.describe(f)}`, f.offset);
    }
    const name = f.text.toLowerCase();
    const shorthand = SHORTHANDS[name];
    const field = fieldNamed(name);
    if (!shorthand && !field) {
      const guess = closest(name, KNOWN_NAMES as string[]);
      this.fail(`unknown field '${f.text}'`, f.offset, guess ? `(did you mean ${guess}?)` : undefined);
    }
    const opTok = this.next();
    let op: CondOp;
    if (opTok.kind === "op") op = opTok.text as CondOp;
    else if (this.isKeyword(opTok, "like")) op = "like";
    else if (this.isKeyword(opTok, "in")) op = "in";
    else if (this.isKeyword(opTok, "not") && this.isKeyword(this.peek(), "in")) {
      this.next();
      op = "not in";
    } else {
      return this.fail(`expected an operator after '${f.text}', found ${this.describe(opTok)}`, opTok.offset);
    }
    const fieldType = field?.type ?? (fieldNamed(shorthand?.[0] ?? "")?.type as keyof typeof TYPE_OPS);
    if (!TYPE_OPS[fieldType].includes(op)) {
      this.fail(
        `operator ${op.toUpperCase()} does not apply to ${f.text} (${fieldType}: ${TYPE_OPS[fieldType].join(" ").toUpperCase()})`,
        opTok.offset,
      );
    }
    const values: { text: string; offset: number }[] = [];
    if (op === "in" || op === "not in") {
      const open = this.next();
      if (open.kind !== "(") this.fail(`expected '(' after ${op.toUpperCase()}, found ${this.describe(open)}`, open.offset);
      for (;;) {
        values.push(this.parseValue());
        if (values.length > MAX_IN_VALUES) this.fail(`IN list longer than ${MAX_IN_VALUES} values`, open.offset);
        const sep = this.next();
        if (sep.kind === ")") break;
        if (sep.kind !== ",") this.fail(`expected ',' or ')' in the IN list, found ${this.describe(sep)}`, sep.offset);
      }
    } else {
      values.push(this.parseValue());
    }
    const make = (fieldName: string): CondExpr => ({
      ...cond(
        fieldName,
        op,
        values.map((v) => v.text),
        this.at(f.offset),
      ),
      valuePositions: values.map((v) => this.at(v.offset)),
    });
    if (!shorthand) return make((field as { name: string }).name);
    // either side: positive operators OR the sides; negative ones (!=, NOT IN) mean "neither side"
    const [a, b] = shorthand;
    return op === "!=" || op === "not in" ? (andExprs(make(a), make(b)) as FilterExpr) : (orExprs(make(a), make(b)) as FilterExpr);
  }

  parse(): FilterExpr {
    if (Buffer.byteLength(this.text, "utf8") > MAX_FILTER_BYTES) {
      throw new FilterSyntaxError(`filter longer than ${MAX_FILTER_BYTES} bytes`, this.at(MAX_FILTER_BYTES));
    }
    this.lex();
    if (this.peek().kind === "end") this.fail("empty filter", 0);
    const e = this.parseOr();
    const rest = this.peek();
    if (rest.kind !== "end") {
      this.fail(rest.kind === ")" ? "unmatched ')'" : `expected AND, OR or end of filter, found ${this.describe(rest)}`, rest.offset);
    }
    return e;
  }
}

/** Parses filter text into an expression; syntax only (exprToSql / checkExpr validate values). */
export function parseFilterSyntax(text: string): FilterExpr {
  return new Parser(text).parse();
}
