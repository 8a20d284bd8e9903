// The compiler's working state between reading policies and writing entries: where each
// contribution came from (origins), what each map key collects (Acc) in each (subject, direction,
// peer) space, and the port keys a port rule stands for.
import type { Direction, HttpRule, PolicyRef } from "./compiled.js";
import type { PortRule } from "./model.js";
import { IPPROTO_TCP, IPPROTO_UDP, portMask, portPrefixes } from "./ports.js";

/** Where an entry came from: one element of a policy's ingress/egress/…Deny list, or a default allow. */
export interface Origin {
  /** Undefined for the node's own allow-localhost, which no policy wrote. */
  ref?: PolicyRef;
  audit: boolean;
  description: string;
}

/** Contributions to one map key before merging. */
export interface Acc {
  proto: number;
  port: number;
  len: number;
  // Origin lists, created on first use (most keys get one kind of contribution).
  deny?: number[];
  auditDeny?: number[];
  allow?: number[];
  l7?: number[];
  /** Allows no policy wrote (allow-localhost): they open the port at L4 but never widen its HTTP rules. */
  implicit?: number[];
}

/** The keys of one (subject, direction, peer): deny beats allow within it. */
export interface Space {
  subject: number;
  direction: Direction;
  peer: number;
  /** By portKeyOf(proto, len, port). */
  accs: Map<number, Acc>;
}

/** A merged key: its entry (but the rule id) and the origins that decide it. */
export interface Merged {
  space: Space;
  acc: Acc;
  action: "allow" | "deny";
  audit: boolean;
  l7: boolean;
  /** RuleIds key of the origins. */
  rule: string;
  /** An allow some policy wrote at L4 (not only HTTP rules or allow-localhost). */
  plain: boolean;
}

/** Per subject and direction: the policies that make it default-deny, and those that only add rules. */
export interface Coverage {
  subject: number;
  direction: Direction;
  defaultDeny: number[]; // origin ids (one per policy rule) with default deny on
  noDefaultDeny: number[]; // origin ids of "allow all" contributions
}

export interface PortKey {
  proto: number;
  port: number;
  len: number;
}

/** HTTP rules of one (subject, port) before rule ids are assigned. */
export interface L7Collected {
  subject: number;
  port: number;
  rules: { peers: number[] | "any"; http: HttpRule[]; origin: number; rule: string }[];
}

export const ANY_PORT: PortKey = { proto: 0, port: 0, len: 0 };

/** One number per (proto, port prefix): proto < 256, len <= 16, port < 65536. */
export function portKeyOf(proto: number, len: number, port: number): number {
  return proto * 0x200000 + len * 0x10000 + port;
}

/** Whether a prefix of `set` (portKeyOf keys) covers the key (strictly shorter ones only when `strict`). */
export function covered(set: Set<number> | undefined, a: { proto: number; len: number; port: number }, strict: boolean): boolean {
  if (!set || set.size === 0) return false;
  if (set.has(portKeyOf(0, 0, 0)) && !(strict && a.proto === 0)) return true;
  if (a.proto === 0) return false;
  for (let l = 0; l <= a.len; l++) {
    if (strict && l === a.len) break;
    if (set.has(portKeyOf(a.proto, l, a.port & portMask(l)))) return true;
  }
  return false;
}

const ANY_PORT_KEYS: readonly PortKey[] = [{ proto: 0, port: 0, len: 0 }];
/** portKeys per port rule object (policies are not changed once parsed). */
const portKeysMemo = new WeakMap<PortRule, readonly PortKey[]>();

export function portKeys(pr: PortRule | undefined): readonly PortKey[] {
  if (!pr) return ANY_PORT_KEYS;
  let out = portKeysMemo.get(pr);
  if (!out) {
    out = makePortKeys(pr);
    portKeysMemo.set(pr, out);
  }
  return out;
}

function makePortKeys(pr: PortRule): PortKey[] {
  const out: PortKey[] = [];
  const l7 = (pr.http?.length ?? 0) > 0;
  for (const p of pr.ports) {
    const protos =
      p.protocol === "TCP" ? [IPPROTO_TCP] : p.protocol === "UDP" ? [IPPROTO_UDP] : l7 ? [IPPROTO_TCP] : [IPPROTO_TCP, IPPROTO_UDP];
    const prefixes = p.port === undefined ? [{ port: 0, len: 0 }] : portPrefixes(p.port, p.endPort ?? p.port);
    for (const proto of protos) for (const x of prefixes) out.push({ proto, port: x.port, len: x.len });
  }
  return out;
}
