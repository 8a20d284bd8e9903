// The kernel's policy lookup (docs/policy.md, "Kernel lookup") over a CompiledPolicy: the same
// steps the tc and socket programs take on fl_policy, so trace and the datapath agree.

import { IPPROTO_TCP, IPPROTO_UDP } from "./compile.js";
import type { CompiledPolicy, Direction, L7Port, PolicyEntry, SubjectState } from "./compiled.js";
import { ReservedIdentity } from "./identity.js";
import { portMask } from "./ports.js";
import { getOrAdd } from "./util.js";

export interface LookupQuery {
  subject: number;
  direction: Direction;
  peer: number;
  proto: number;
  port: number;
}

/** Cilium's policy_match_type numbers as Hubble shows them. */
export const MatchType = { NONE: 0, L3_ONLY: 1, L3_L4: 2, L4_ONLY: 3, ALL: 4, L3_PROTO: 5, PROTO_ONLY: 6 } as const;

export interface Decision {
  /** False: the subject does not enforce this direction; the packet passes and no verdict is reported. */
  enforced: boolean;
  verdict: "FORWARDED" | "DROPPED" | "AUDIT";
  /** Allowed and redirected to the L7 proxy (verdict REDIRECTED in the kernel's record). */
  l7: boolean;
  /** Deciding entry's rule id; 0 = no entry (default deny) or not enforced. */
  ruleId: number;
  dropReason?: "POLICY_DENIED" | "POLICY_DENY";
  /** Cilium policy_match_type: 0 none, 1 L3-only, 2 L3L4, 3 L4-only, 4 all, 5 L3+proto, 6 proto-only. */
  matchType: number;
}

/** The LPM key length of an entry in fl_policy: 72 = any protocol, 80 + portPrefixLen otherwise. */
export function entryPrefixLen(e: Pick<PolicyEntry, "proto" | "portPrefixLen">): number {
  return e.proto === 0 ? 72 : 80 + e.portPrefixLen;
}

/** fl_policy_value.l4_match: 0 any protocol, 1 protocol only, 2 protocol and port (or port range). */
export function l4Match(e: Pick<PolicyEntry, "proto" | "portPrefixLen">): number {
  return e.proto === 0 ? 0 : e.portPrefixLen === 0 ? 1 : 2;
}

/** policy_match_type of a deciding entry: L3 part from the peer, L4 part from l4Match. */
export function entryMatchType(e: PolicyEntry): number {
  const l3 = e.peer !== ReservedIdentity.ANY;
  switch (l4Match(e)) {
    case 0:
      return l3 ? MatchType.L3_ONLY : MatchType.ALL;
    case 1:
      return l3 ? MatchType.L3_PROTO : MatchType.PROTO_ONLY;
    default:
      return l3 ? MatchType.L3_L4 : MatchType.L4_ONLY;
  }
}

interface Index {
  spaces: Map<string, Map<string, PolicyEntry>>;
  subjects: Map<number, SubjectState>;
  l7: Map<string, L7Port>;
}

const indexes = new WeakMap<CompiledPolicy, Index>();

/** Entries by (subject, direction, peer) then by (proto, prefix length, masked port); built once per CompiledPolicy. */
function indexOf(c: CompiledPolicy): Index {
  let ix = indexes.get(c);
  if (ix) return ix;
  ix = { spaces: new Map(), subjects: new Map(c.subjects.map((s) => [s.identity, s])), l7: new Map() };
  for (const e of c.entries) {
    const k = spaceKey(e.subject, e.direction, e.peer);
    const len = e.proto === 0 ? 0 : e.portPrefixLen;
    // port bits past the prefix are not part of the key, as in the kernel's (keys are canonical there)
    getOrAdd(ix.spaces, k, () => new Map<string, PolicyEntry>()).set(slotKey(e.proto, len, e.proto === 0 ? 0 : e.port & portMask(len)), e);
  }
  for (const l of c.l7) ix.l7.set(`${l.subject}|${l.proto}|${l.port}`, l);
  indexes.set(c, ix);
  return ix;
}

function spaceKey(subject: number, dir: Direction, peer: number): string {
  return `${subject}|${dir}|${peer}`;
}

function slotKey(proto: number, len: number, port: number): string {
  return `${proto}/${len}/${port}`;
}

/** Longest-prefix match in one (subject, direction, peer) key space, as the LPM trie answers. */
function lpm(space: Map<string, PolicyEntry> | undefined, proto: number, port: number): PolicyEntry | undefined {
  if (!space) return undefined;
  if (proto !== 0) {
    for (let len = 16; len >= 0; len--) {
      const e = space.get(slotKey(proto, len, port & portMask(len)));
      if (e) return e;
    }
  }
  return space.get(slotKey(0, 0, 0));
}

export function subjectState(c: CompiledPolicy, identity: number): SubjectState | undefined {
  return indexOf(c).subjects.get(identity);
}

/** The L7 rules of (subject, proto, port), if the kernel redirects that port. */
export function l7PortOf(c: CompiledPolicy, subject: number, proto: number, port: number): L7Port | undefined {
  return indexOf(c).l7.get(`${subject}|${proto}|${port}`);
}

export function lookup(c: CompiledPolicy, q: LookupQuery): Decision {
  const ix = indexOf(c);
  const st = ix.subjects.get(q.subject);
  // 1. a direction the subject does not enforce passes without a verdict
  const enforced = q.direction === "ingress" ? st?.enforceIngress : st?.enforceEgress;
  if (!st || !enforced) return { enforced: false, verdict: "FORWARDED", l7: false, ruleId: 0, matchType: MatchType.NONE };
  // 2. the peer's own entries and the any-peer entries; protocols without ports look up port 0
  const port = q.proto === IPPROTO_TCP || q.proto === IPPROTO_UDP ? q.port : 0;
  const a = lpm(ix.spaces.get(spaceKey(q.subject, q.direction, q.peer)), q.proto, port);
  const b = q.peer === ReservedIdentity.ANY ? a : lpm(ix.spaces.get(spaceKey(q.subject, q.direction, ReservedIdentity.ANY)), q.proto, port);
  // 3. a deny from either wins
  const deny = a?.action === "deny" ? a : b?.action === "deny" ? b : undefined;
  if (deny) {
    return {
      enforced: true,
      verdict: deny.audit ? "AUDIT" : "DROPPED",
      l7: false,
      ruleId: deny.ruleId,
      dropReason: "POLICY_DENY",
      matchType: entryMatchType(deny),
    };
  }
  // 4. else an allow, the peer's own preferred; redirected when either allow has the L7 flag (ingress only)
  const allow = a?.action === "allow" ? a : b?.action === "allow" ? b : undefined;
  if (allow) {
    const l7 = q.direction === "ingress" && ((a?.action === "allow" && a.l7) || (b?.action === "allow" && b.l7));
    return { enforced: true, verdict: "FORWARDED", l7, ruleId: allow.ruleId, matchType: entryMatchType(allow) };
  }
  // 5. default deny
  const audit = q.direction === "ingress" ? st.auditIngress : st.auditEgress;
  return {
    enforced: true,
    verdict: audit ? "AUDIT" : "DROPPED",
    l7: false,
    ruleId: 0,
    dropReason: "POLICY_DENIED",
    matchType: MatchType.NONE,
  };
}
