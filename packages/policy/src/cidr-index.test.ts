import { describe, expect, it } from "vitest";
import { formatPrefix, type Prefix, parsePrefix, prefixContains } from "./cidr.js";
import { CidrIndex } from "./cidr-index.js";

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Random prefixes clustered in a few small blocks, so containment, equal addresses and excepts all occur. */
function randomPrefix(r: () => number): string {
  const v6 = r() < 0.3;
  const bits = v6 ? 128 : 32;
  const len = Math.floor(r() * (bits + 1));
  // A handful of base addresses with random low bits.
  let addr = v6 ? 0x2001_0db8n << 96n : BigInt(10 << 24);
  addr |= BigInt(Math.floor(r() * 4)) << BigInt(bits - 8);
  addr |= BigInt(Math.floor(r() * 2 ** 16)) << BigInt(bits - 32);
  const mask = len === 0 ? 0n : ((1n << BigInt(bits)) - 1n) & (((1n << BigInt(bits)) - 1n) << BigInt(bits - len));
  return formatPrefix({ family: v6 ? 6 : 4, addr: addr & mask, len });
}

/** The straightforward selection the index replaces: every identity checked against the rule. */
function reference(cidrs: { cidr: string; identity: number }[], cidr: string, except: string[]): number[] {
  const outer = parsePrefix(cidr) as Prefix;
  const ex = except.map((e) => parsePrefix(e) as Prefix);
  return cidrs
    .filter((c) => {
      const p = parsePrefix(c.cidr) as Prefix;
      return prefixContains(outer, p) && !ex.some((e) => prefixContains(e, p));
    })
    .map((c) => c.identity)
    .sort((a, b) => a - b);
}

describe("CidrIndex", () => {
  it("selects the same identities as checking every prefix, on random prefixes", () => {
    const r = rng(4);
    for (let round = 0; round < 40; round++) {
      const cidrs = [...new Set(Array.from({ length: 300 }, () => randomPrefix(r)))].map((cidr, i) => ({ cidr, identity: 1000 + i }));
      const index = new CidrIndex(cidrs);
      for (let q = 0; q < 50; q++) {
        // Rules name known prefixes most of the time (as they do: identities come from the rules).
        const pick = () => (r() < 0.7 ? cidrs[Math.floor(r() * cidrs.length)].cidr : randomPrefix(r));
        const cidr = pick();
        const except = Array.from({ length: Math.floor(r() * 3) }, pick);
        const got = [...index.within(cidr, except)].sort((a, b) => a - b);
        expect(got, `${cidr} except ${except.join(",")}`).toEqual(reference(cidrs, cidr, except));
      }
    }
  });

  it("keeps IPv4 and IPv6 apart and includes the prefix itself and its shorter siblings' insides only", () => {
    const cidrs = ["0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/16", "10.1.0.0/16", "11.0.0.0/8", "::/0", "::/96"].map((cidr, i) => ({
      cidr,
      identity: i + 1,
    }));
    const index = new CidrIndex(cidrs);
    expect(index.within("10.0.0.0/8", [])).toEqual([2, 3, 4]);
    expect(index.within("10.0.0.0/16", [])).toEqual([3]);
    expect(index.within("10.0.0.0/8", ["10.1.0.0/16"])).toEqual([2, 3]);
    expect(index.within("0.0.0.0/0", [])).toEqual([1, 2, 3, 4, 5]);
    expect(index.within("::/0", [])).toEqual([6, 7]);
  });
});
