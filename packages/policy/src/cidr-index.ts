// The compiler's CIDR identities sorted by address, so the identities inside one prefix are a
// contiguous run found by binary search instead of a scan of every identity per CIDR rule.

import { type Prefix, parsePrefix, prefixContains } from "./cidr.js";

interface Item {
  prefix: Prefix;
  identity: number;
}

/** The parses of the last index built: consecutive compilations mostly name the same prefixes. */
let lastParsed = new Map<string, Prefix | undefined>();

export class CidrIndex {
  /** By family, then address, then length: a prefix's addresses [addr, addr | hostmask] hold its sub-prefixes contiguously. */
  private readonly items: Item[];
  private readonly parsed = new Map<string, Prefix | undefined>();

  constructor(cidrs: readonly { cidr: string; identity: number }[]) {
    this.items = [];
    for (const c of cidrs) {
      const prefix = this.prefix(c.cidr);
      if (prefix) this.items.push({ prefix, identity: c.identity });
    }
    this.items.sort((a, b) => cmpPrefix(a.prefix, b.prefix));
    lastParsed = this.parsed;
  }

  /** Identities of the prefixes inside `cidr` (equal included) and inside none of `except`. */
  within(cidr: string, except: readonly string[]): number[] {
    const outer = this.prefix(cidr);
    if (!outer) return [];
    const ex = except.map((e) => this.prefix(e)).filter((e) => e !== undefined);
    const out: number[] = [];
    for (let i = this.lowerBound(outer); i < this.items.length; i++) {
      const { prefix, identity } = this.items[i];
      if (!prefixContains(outer, prefix)) {
        // Past the end of outer's address range (or a shorter prefix at its first address: skip it).
        if (prefix.family !== outer.family || prefix.addr !== outer.addr) break;
        continue;
      }
      if (!ex.some((e) => prefixContains(e, prefix))) out.push(identity);
    }
    return out;
  }

  /** First item not ordered before outer's first address in outer's family. */
  private lowerBound(outer: Prefix): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const p = this.items[mid].prefix;
      if (p.family < outer.family || (p.family === outer.family && p.addr < outer.addr)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Parsed once per text; undefined (contains and is contained in nothing) for text that is no prefix. */
  private prefix(text: string): Prefix | undefined {
    if (this.parsed.has(text)) return this.parsed.get(text);
    let p: Prefix | undefined;
    if (lastParsed.has(text)) p = lastParsed.get(text);
    else {
      const r = parsePrefix(text);
      p = typeof r === "string" ? undefined : r;
    }
    this.parsed.set(text, p);
    return p;
  }
}

function cmpPrefix(a: Prefix, b: Prefix): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.addr !== b.addr) return a.addr < b.addr ? -1 : 1;
  return a.len - b.len;
}
