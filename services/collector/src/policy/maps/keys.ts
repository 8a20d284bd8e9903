// Bytes of the policy maps' keys and values (abi.h "Policy enforcement"), laid out by Layout.
// Keys are canonical: bits past an LPM prefix are zero, so a key read back from the kernel equals
// the one we would write (the map writer diffs by bytes).
import { ipcacheKey as encodeIpcacheKey, entryPrefixLen, l4Match, type PolicyEntry, portMask } from "@flowlens/policy";
import { Layout, PolicyAction, PolicyDir, PolicyFlag } from "../../datapath/layout.js";
import { addrToKey } from "../../net/ip.js";

const PK = Layout.fl_policy_key.fields;
const PV = Layout.fl_policy_value.fields;
const EI = Layout.fl_endpoint_info.fields;
const IV = Layout.fl_ipcache_value.fields;

/** An entry's key fields (proto 0 = any protocol, port ignored; portPrefixLen 0 = any port of proto). */
export type PolicyKeyFields = Pick<PolicyEntry, "subject" | "peer" | "direction" | "proto" | "port" | "portPrefixLen">;

export function policyKey(e: PolicyKeyFields): Buffer {
  const b = Buffer.alloc(Layout.fl_policy_key.size);
  const plen = e.proto === 0 ? 0 : e.portPrefixLen;
  if (!Number.isInteger(plen) || plen < 0 || plen > 16) throw new RangeError(`port prefix length ${plen} is not in 0..16`);
  b.writeUInt32LE(entryPrefixLen(e), PK.prefixlen);
  b.writeUInt32LE(e.subject >>> 0, PK.subject_identity);
  b.writeUInt32LE(e.peer >>> 0, PK.peer_identity);
  b[PK.direction] = e.direction === "ingress" ? PolicyDir.INGRESS : PolicyDir.EGRESS;
  if (e.proto !== 0) {
    b[PK.proto] = e.proto;
    b.writeUInt16BE(e.port & portMask(plen), PK.dport); // network byte order: prefixes are leading bits
  }
  return b;
}

export type PolicyValueFields = Pick<PolicyEntry, "ruleId" | "action" | "audit" | "l7" | "proto" | "portPrefixLen">;

export function policyValue(e: PolicyValueFields): Buffer {
  const b = Buffer.alloc(Layout.fl_policy_value.size);
  b.writeUInt32LE(e.ruleId >>> 0, PV.rule_id);
  b[PV.action] = e.action === "allow" ? PolicyAction.ALLOW : PolicyAction.DENY;
  b[PV.flags] = (e.audit ? PolicyFlag.AUDIT : 0) | (e.l7 ? PolicyFlag.L7 : 0);
  b[PV.l4_match] = l4Match(e);
  return b;
}

export interface EndpointInfoFields {
  endpointId: number;
  identity: number;
  enforceIngress: boolean;
  enforceEgress: boolean;
  auditIngress: boolean;
  auditEgress: boolean;
}

export function endpointInfo(e: EndpointInfoFields): Buffer {
  const b = Buffer.alloc(Layout.fl_endpoint_info.size);
  b.writeUInt32LE(e.endpointId >>> 0, EI.endpoint_id);
  b.writeUInt32LE(e.identity >>> 0, EI.identity);
  b[EI.enforce] = (e.enforceIngress ? 1 : 0) | (e.enforceEgress ? 2 : 0);
  b[EI.audit] = (e.auditIngress ? 1 : 0) | (e.auditEgress ? 2 : 0);
  return b;
}

export function decodeEndpointInfo(b: Buffer): EndpointInfoFields {
  const enforce = b[EI.enforce];
  const audit = b[EI.audit];
  return {
    endpointId: b.readUInt32LE(EI.endpoint_id),
    identity: b.readUInt32LE(EI.identity),
    enforceIngress: (enforce & 1) !== 0,
    enforceEgress: (enforce & 2) !== 0,
    auditIngress: (audit & 1) !== 0,
    auditEgress: (audit & 2) !== 0,
  };
}

export function u32Key(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

export function u64Key(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
}

/** fl_ipcache_key of an address or CIDR ("10.0.0.0/8", "fd00::1"), encoded by @flowlens/policy. */
export function ipcacheKey(cidr: string): Buffer {
  return Buffer.from(encodeIpcacheKey(cidr));
}

export function ipcacheValue(identity: number, endpointId: number): Buffer {
  const b = Buffer.alloc(Layout.fl_ipcache_value.size);
  b.writeUInt32LE(identity >>> 0, IV.identity);
  b.writeUInt32LE(endpointId >>> 0, IV.endpoint_id);
  return b;
}

export interface CtKeyFields {
  saddr: string;
  daddr: string;
  /** Host order; ICMP type and code for ICMP. */
  sport: number;
  dport: number;
  proto: number;
  direction: "ingress" | "egress";
}

/** fl_ct_key of a connection as the deciding subject saw its first packet (addresses as in fl_flow_key). */
export function ctKey(k: CtKeyFields): Buffer {
  const F = Layout.fl_ct_key.fields;
  const b = Buffer.alloc(Layout.fl_ct_key.size);
  addrToKey(k.saddr).copy(b, F.saddr);
  addrToKey(k.daddr).copy(b, F.daddr);
  b.writeUInt16LE(k.sport, F.sport);
  b.writeUInt16LE(k.dport, F.dport);
  b[F.proto] = k.proto;
  b[F.direction] = k.direction === "ingress" ? PolicyDir.INGRESS : PolicyDir.EGRESS;
  return b;
}

export interface CtValueFields {
  createdNs: bigint;
  lastNs: bigint;
  ruleId: number;
  subjectIdentity: number;
  endpointId: number;
  verdict: number;
  flags: number;
}

export function decodeCtValue(b: Buffer): CtValueFields {
  const F = Layout.fl_ct_value.fields;
  return {
    createdNs: b.readBigUInt64LE(F.created_ns),
    lastNs: b.readBigUInt64LE(F.last_ns),
    ruleId: b.readUInt32LE(F.rule_id),
    subjectIdentity: b.readUInt32LE(F.subject_identity),
    endpointId: b.readUInt32LE(F.endpoint_id),
    verdict: b[F.verdict],
    flags: b[F.flags],
  };
}
