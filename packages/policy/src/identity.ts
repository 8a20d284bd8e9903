// Numeric identities: endpoints by their labels (the same on every node, no shared allocator),
// reserved host/world, and CIDR identities for the prefixes policies name.

import { parsePrefix, prefixContains } from "./cidr.js";
import type { CidrIdentity } from "./compiled.js";
import { NAMESPACE_LABEL } from "./selector.js";

/** Cilium's reserved numbers; 0 is "any peer" in policy keys only. */
export const ReservedIdentity = { ANY: 0, HOST: 1, WORLD: 2 } as const;

export const MIN_ENDPOINT_IDENTITY = 0x10000;
export const MIN_CIDR_IDENTITY = 0x80000000;
const ENDPOINT_SPAN = MIN_CIDR_IDENTITY - MIN_ENDPOINT_IDENTITY;
const CIDR_SPAN = 0x80000000;

/** An endpoint's labels as sorted `key=value` strings, the namespace label included (it wins over a label of that name). */
export function identityLabels(namespace: string, labels: Record<string, string>): string[] {
  const all: Record<string, string> = { ...labels, [NAMESPACE_LABEL]: namespace };
  return Object.keys(all)
    .sort()
    .map((k) => `${k}=${all[k]}`);
}

/** The label map selectors are matched against: the endpoint's labels plus its namespace label. */
export function selectorLabels(namespace: string, labels: Record<string, string>): Record<string, string> {
  return { ...labels, [NAMESPACE_LABEL]: namespace };
}

/** FNV-1a-32 over each sorted `key=value` (UTF-8) followed by a 0x0a byte, folded into [65536, 2^31). */
export function endpointIdentity(namespace: string, labels: Record<string, string>): number {
  let h = FNV_OFFSET;
  for (const s of identityLabels(namespace, labels)) h = fnv1a(h, s, true);
  return MIN_ENDPOINT_IDENTITY + (h % ENDPOINT_SPAN);
}

/**
 * Identities of CIDR prefixes (canonical text, as the parser normalizes them): FNV-1a-32 of the text
 * folded into [2^31, 2^32); on a collision the later prefix in sorted order takes the next free number.
 * The result is sorted by prefix text; duplicates are merged.
 */
export function cidrIdentities(prefixes: Iterable<string>): CidrIdentity[] {
  const sorted = [...new Set(prefixes)].sort();
  const taken = new Set<number>();
  return sorted.map((cidr) => {
    let id = MIN_CIDR_IDENTITY + (fnv1a(FNV_OFFSET, cidr, false) % CIDR_SPAN);
    while (taken.has(id)) id = id + 1 >= 2 ** 32 ? MIN_CIDR_IDENTITY : id + 1;
    taken.add(id);
    return { cidr, identity: id };
  });
}

export function isCidrIdentity(id: number): boolean {
  return id >= MIN_CIDR_IDENTITY;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const utf8 = new TextEncoder();

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function fnv1a(seed: number, s: string, separator: boolean): number {
  let h = seed;
  // ASCII (every prefix, most labels) is its own UTF-8: no encoding pass.
  if (isAscii(s)) for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME) >>> 0;
  else for (const b of utf8.encode(s)) h = Math.imul(h ^ b, FNV_PRIME) >>> 0;
  if (separator) h = Math.imul(h ^ 0x0a, FNV_PRIME) >>> 0;
  return h >>> 0;
}

/** The identity an address outside the endpoints gets from fl_ipcache: the longest CIDR identity holding it, else world. */
export function addressIdentity(cidrs: CidrIdentity[], ip: string): number {
  const addr = parsePrefix(ip);
  if (typeof addr === "string") throw new Error(`addressIdentity: ${addr}`);
  let best: { len: number; identity: number } | undefined;
  for (const c of cidrs) {
    const p = parsePrefix(c.cidr);
    if (typeof p !== "string" && prefixContains(p, addr) && (!best || p.len > best.len)) best = { len: p.len, identity: c.identity };
  }
  return best?.identity ?? ReservedIdentity.WORLD;
}
