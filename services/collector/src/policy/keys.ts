// Bytes of the policy maps' keys and values (abi.h "Policy enforcement"), laid out by Layout.
// Keys are canonical: bits past an LPM prefix are zero, so a key read back from the kernel equals
// the one we would write (the map writer diffs by bytes).
import { Layout, PolicyAction, PolicyDir, PolicyFlag } from "../datapath/layout.js";
import { addrToKey, ipVersionOf } from "../net/ip.js";

const PK = Layout.fl_policy_key.fields;
const PV = Layout.fl_policy_value.fields;
const EI = Layout.fl_endpoint_info.fields;
const IK = Layout.fl_ipcache_key.fields;
const IV = Layout.fl_ipcache_value.fields;

/** fl_policy_key prefix bits: subject, peer, direction (72), then proto (8), then dport (16). */
export const POLICY_PREFIX = { ANY_PROTO: 72, PROTO: 80, FULL: 96 } as const;

export interface PolicyKeyFields {
  subject: number;
  peer: number;
  direction: "ingress" | "egress";
  /** 0 = any protocol (port ignored). */
  proto: number;
  port: number;
  /** 0 = any port of proto, 16 = exactly port. */
  portPrefixLen: number;
}

export function policyKey(e: PolicyKeyFields): Buffer {
  const b = Buffer.alloc(Layout.fl_policy_key.size);
  const anyProto = e.proto === 0;
  const plen = anyProto ? 0 : e.portPrefixLen;
  if (!Number.isInteger(plen) || plen < 0 || plen > 16) throw new RangeError(`port prefix length ${plen} is not in 0..16`);
  b.writeUInt32LE(anyProto ? POLICY_PREFIX.ANY_PROTO : POLICY_PREFIX.PROTO + plen, PK.prefixlen);
  b.writeUInt32LE(e.subject >>> 0, PK.subject_identity);
  b.writeUInt32LE(e.peer >>> 0, PK.peer_identity);
  b[PK.direction] = e.direction === "ingress" ? PolicyDir.INGRESS : PolicyDir.EGRESS;
  if (!anyProto) {
    b[PK.proto] = e.proto;
    const mask = plen === 0 ? 0 : (0xffff << (16 - plen)) & 0xffff;
    b.writeUInt16BE(e.port & mask, PK.dport); // network byte order: prefixes are leading bits
  }
  return b;
}

export interface PolicyValueFields {
  ruleId: number;
  action: "allow" | "deny";
  audit: boolean;
  l7: boolean;
  proto: number;
  portPrefixLen: number;
}

export function policyValue(e: PolicyValueFields): Buffer {
  const b = Buffer.alloc(Layout.fl_policy_value.size);
  b.writeUInt32LE(e.ruleId >>> 0, PV.rule_id);
  b[PV.action] = e.action === "allow" ? PolicyAction.ALLOW : PolicyAction.DENY;
  b[PV.flags] = (e.audit ? PolicyFlag.AUDIT : 0) | (e.l7 ? PolicyFlag.L7 : 0);
  b[PV.l4_match] = e.proto === 0 ? 0 : e.portPrefixLen === 0 ? 1 : 2;
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

/**
 * fl_ipcache_key of an address or CIDR ("10.0.0.0/8", "fd00::1"): IPv4 as ::ffff:a.b.c.d with
 * prefixlen 96 + bits. Throws a one-line error on bad text.
 */
export function ipcacheKey(cidr: string): Buffer {
  const [ip, bitsText, extra] = cidr.split("/");
  const version = ipVersionOf(ip);
  if (version === 0 || extra !== undefined) throw new Error(`"${cidr}" is not an IP address or CIDR`);
  const max = version === 4 ? 32 : 128;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (!/^\d+$/.test(bitsText ?? "0") || bits > max) throw new Error(`"${cidr}": prefix length must be 0..${max}`);
  const b = Buffer.alloc(Layout.fl_ipcache_key.size);
  const raw = addrToKey(ip);
  const addr = b.subarray(IK.addr, IK.addr + 16);
  if (version === 4) {
    addr[10] = 0xff;
    addr[11] = 0xff;
    raw.copy(addr, 12, 0, 4);
  } else {
    raw.copy(addr, 0, 0, 16);
  }
  const plen = version === 4 ? 96 + bits : bits;
  b.writeUInt32LE(plen, IK.prefixlen);
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, plen - i * 8));
    addr[i] &= (0xff << (8 - keep)) & 0xff;
  }
  return b;
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
