// The tc policy path on the real verifier and kernel (BPF_PROG_TEST_RUN), with map entries written
// by hand: verdicts, drop reasons, match types, records, connection tracking, audit, L7.
// A test run's skb comes in on loopback (ifindex 1), so the subject endpoint sits at ifindex 1.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { addressIdentity, type CompiledPolicy, lookup, type PolicyEntry, ReservedIdentity } from "@flowlens/policy";
import { type BpfMap, BpfObject, RingBufferReader } from "libbpf-ts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { addrToKey } from "../net/ip.js";
import { ctKey, decodeCtValue, endpointInfo, ipcacheKey, ipcacheValue, policyKey, policyValue, u32Key } from "../policy/maps/keys.js";
import { PolicyMaps } from "../policy/maps/maps.js";
import { CtFlag, Layout, Off, PolicyDropReason, PolicyHook, PolicyVerdict, RecordKind, Stat } from "./layout.js";

const BPF_DIR = fileURLToPath(new URL("../../../../bpf", import.meta.url));
const TC_OK = 0;
const TC_SHOT = 2;
const TCP = 6;
const UDP = 17;
const ICMP = 1;
const SYN = 0x02;
const ACK = 0x10;
const FIN = 0x01;

const S = { ip: "10.9.0.1", identity: 70001, endpointId: 5 };
const P = { ip: "10.9.0.2", identity: 70002, endpointId: 6 };

let obj: BpfObject;
let maps: Record<"policy" | "ipcache" | "endpoints" | "ct" | "flows" | "stats", BpfMap>;
let reader: RingBufferReader;
let records: Buffer[] = [];

beforeAll(() => {
  execFileSync("make", ["-C", BPF_DIR, "-s"], { stdio: "inherit" });
  obj = BpfObject.open(`${BPF_DIR}/.output/flowlens.bpf.o`);
  obj.setMapMaxEntries("fl_ct", 1024); // small maps: this object is never attached
  obj.setMapMaxEntries("fl_flows", 1024);
  obj.setMapMaxEntries("fl_events", 256 * 1024);
  obj.load();
  maps = {
    policy: obj.map("fl_policy"),
    ipcache: obj.map("fl_ipcache"),
    endpoints: obj.map("fl_endpoints"),
    ct: obj.map("fl_ct"),
    flows: obj.map("fl_flows"),
    stats: obj.map("fl_stats"),
  };
  reader = new RingBufferReader(obj.map("fl_events"), (data, offsets, count) => {
    for (let i = 0; i < count; i++) records.push(Buffer.from(data.subarray(offsets[i], offsets[i + 1])));
  });
});

afterAll(() => {
  reader?.close();
  obj?.close();
});

function clear(m: BpfMap): void {
  for (const k of [...m.keys()]) m.delete(k);
}

beforeEach(() => {
  for (const m of [maps.policy, maps.ipcache, maps.endpoints, maps.ct, maps.flows]) clear(m);
  reader.consume();
  records = [];
  maps.ipcache.update(ipcacheKey(S.ip), ipcacheValue(S.identity, S.endpointId));
  maps.ipcache.update(ipcacheKey(P.ip), ipcacheValue(P.identity, P.endpointId));
});

function subject(o: { ingress?: boolean; egress?: boolean; auditIngress?: boolean; auditEgress?: boolean }): void {
  maps.endpoints.update(
    u32Key(1),
    endpointInfo({
      endpointId: S.endpointId,
      identity: S.identity,
      enforceIngress: o.ingress ?? false,
      enforceEgress: o.egress ?? false,
      auditIngress: o.auditIngress ?? false,
      auditEgress: o.auditEgress ?? false,
    }),
  );
}

interface Rule {
  peer: number;
  direction: "ingress" | "egress";
  proto: number;
  port?: number;
  portPrefixLen?: number;
  action: "allow" | "deny";
  ruleId: number;
  audit?: boolean;
  l7?: boolean;
}

function rule(r: Rule): void {
  const e = { subject: S.identity, port: 0, portPrefixLen: 0, audit: false, l7: false, ...r };
  if (r.port !== undefined && r.portPrefixLen === undefined) e.portPrefixLen = 16;
  maps.policy.update(policyKey(e), policyValue(e));
}

/** Ethernet + IPv4 + TCP/UDP/ICMP header (checksums left zero: tc does not check them). */
function packet(proto: number, src: string, dst: string, sport: number, dport: number, flags = 0): Uint8Array {
  const l4 = proto === TCP ? 20 : 8;
  const b = Buffer.alloc(14 + 20 + l4 + 16);
  b.writeUInt16BE(0x0800, 12);
  b[14] = 0x45;
  b.writeUInt16BE(20 + l4 + 16, 16);
  b[22] = 64;
  b[23] = proto;
  addrToKey(src).copy(b, 26, 0, 4);
  addrToKey(dst).copy(b, 30, 0, 4);
  if (proto === ICMP) {
    b[34] = sport; // type
    b[35] = dport; // code
  } else {
    b.writeUInt16BE(sport, 34);
    b.writeUInt16BE(dport, 36);
  }
  if (proto === TCP) {
    b[34 + 12] = 0x50;
    b[34 + 13] = flags;
  }
  return b;
}

/** Into the subject (tc egress of its veth: its ingress policy) or out of it (tc ingress: egress policy). */
function toSubject(pkt: Uint8Array): number {
  return obj.program("fl_tc_egress").testRun({ data: pkt }).retval;
}
function fromSubject(pkt: Uint8Array): number {
  return obj.program("fl_tc_ingress").testRun({ data: pkt }).retval;
}

interface PolicyRecord {
  subject: number;
  peer: number;
  ruleId: number;
  direction: number;
  verdict: number;
  matchType: number;
  hook: number;
  dropReason: number;
  tcpFlags: number;
  endpointId: number;
  sport: number;
  dport: number;
}

function policyRecords(): PolicyRecord[] {
  reader.consume();
  const out = records
    .filter((r) => r.readUInt16LE(0) === RecordKind.POLICY)
    .map((r) => {
      expect(r.length).toBe(Layout.fl_policy_record.size);
      return {
        subject: r.readUInt32LE(Off.polSubject),
        peer: r.readUInt32LE(Off.polPeer),
        ruleId: r.readUInt32LE(Off.polRuleId),
        direction: r[Off.polDirection],
        verdict: r[Off.polVerdict],
        matchType: r[Off.polMatchType],
        hook: r[Off.polHook],
        dropReason: r.readUInt16LE(Off.polDropReason),
        tcpFlags: r.readUInt16LE(Off.polTcpFlags),
        endpointId: r.readUInt32LE(Off.polEndpointId),
        sport: r.readUInt16LE(Off.sport),
        dport: r.readUInt16LE(Off.dport),
      };
    });
  records = [];
  return out;
}

function stat(i: number): number {
  const v = maps.stats.lookup(u32Key(i));
  let n = 0;
  for (let o = 0; v && o < v.length; o += 8) n += Number(v.readBigUInt64LE(o));
  return n;
}

function ct(saddr: string, daddr: string, sport: number, dport: number, proto: number, direction: "ingress" | "egress") {
  const v = maps.ct.lookup(ctKey({ saddr, daddr, sport, dport, proto, direction }));
  return v ? decodeCtValue(v) : undefined;
}

describe("tc policy: verdicts", () => {
  it("passes everything and reports nothing for a direction that is not enforced, but tracks it", () => {
    subject({ egress: true });
    expect(toSubject(packet(TCP, P.ip, S.ip, 40000, 80, SYN))).toBe(TC_OK);
    expect(policyRecords()).toEqual([]);
    expect(ct(P.ip, S.ip, 40000, 80, TCP, "ingress")).toMatchObject({ verdict: PolicyVerdict.FORWARDED, ruleId: 0 });
    // ... so the reply passes the enforced egress without a rule
    expect(fromSubject(packet(TCP, S.ip, P.ip, 80, 40000, SYN | ACK))).toBe(TC_OK);
    expect(policyRecords()).toEqual([]);
  });

  it("drops by default deny, counts it, reports POLICY_DENIED and skips flow accounting", () => {
    subject({ ingress: true });
    const drops = stat(Stat.POLICY_DROPS);
    expect(toSubject(packet(TCP, P.ip, S.ip, 40001, 80, SYN))).toBe(TC_SHOT);
    reader.consume();
    expect(records.map((r) => r.readUInt16LE(0))).toEqual([RecordKind.POLICY]); // no flow record
    expect(policyRecords()).toEqual([
      {
        subject: S.identity,
        peer: P.identity,
        ruleId: 0,
        direction: 0,
        verdict: PolicyVerdict.DROPPED,
        matchType: 0,
        hook: PolicyHook.TC,
        dropReason: PolicyDropReason.POLICY_DENIED,
        tcpFlags: SYN,
        endpointId: S.endpointId,
        sport: 40001,
        dport: 80,
      },
    ]);
    expect(stat(Stat.POLICY_DROPS)).toBe(drops + 1);
    expect(ct(P.ip, S.ip, 40001, 80, TCP, "ingress")).toBeUndefined();
    expect([...maps.flows.keys()]).toHaveLength(0);
  });

  it("allows by an L3L4 rule, tracks the connection, and lets replies and later packets pass unreported", () => {
    subject({ ingress: true, egress: true });
    rule({ peer: P.identity, direction: "ingress", proto: TCP, port: 80, action: "allow", ruleId: 7 });
    expect(toSubject(packet(TCP, P.ip, S.ip, 40002, 80, SYN))).toBe(TC_OK);
    expect(policyRecords()).toMatchObject([{ verdict: PolicyVerdict.FORWARDED, ruleId: 7, matchType: 2, dropReason: 0, peer: P.identity }]);
    expect(ct(P.ip, S.ip, 40002, 80, TCP, "ingress")).toMatchObject({
      verdict: PolicyVerdict.FORWARDED,
      ruleId: 7,
      subjectIdentity: S.identity,
      endpointId: S.endpointId,
      flags: 0,
    });
    expect(fromSubject(packet(TCP, S.ip, P.ip, 80, 40002, SYN | ACK))).toBe(TC_OK); // egress is default deny: CT reply
    expect(toSubject(packet(TCP, P.ip, S.ip, 40002, 80, ACK))).toBe(TC_OK);
    expect(policyRecords()).toEqual([]);
    // Another source port of the same peer is another connection, another port is not allowed.
    expect(toSubject(packet(TCP, P.ip, S.ip, 40003, 80, SYN))).toBe(TC_OK);
    expect(toSubject(packet(TCP, P.ip, S.ip, 40003, 81, SYN))).toBe(TC_SHOT);
    expect(policyRecords().map((r) => r.verdict)).toEqual([PolicyVerdict.FORWARDED, PolicyVerdict.DROPPED]);
  });

  it("matches the peer from the ipcache: a CIDR identity, and world for an unknown address", () => {
    subject({ ingress: true });
    maps.ipcache.update(ipcacheKey("10.200.0.0/16"), ipcacheValue(0x8000_0001, 0));
    rule({ peer: 0x8000_0001, direction: "ingress", proto: UDP, port: 53, action: "allow", ruleId: 3 });
    rule({ peer: 2, direction: "ingress", proto: 0, action: "allow", ruleId: 4 });
    expect(toSubject(packet(UDP, "10.200.3.4", S.ip, 5353, 53, 0))).toBe(TC_OK);
    expect(toSubject(packet(UDP, "192.0.2.9", S.ip, 5353, 99, 0))).toBe(TC_OK);
    expect(toSubject(packet(UDP, "10.200.3.4", S.ip, 5353, 54, 0))).toBe(TC_SHOT);
    expect(policyRecords().map((r) => [r.peer, r.verdict, r.ruleId, r.matchType])).toEqual([
      [0x8000_0001, PolicyVerdict.FORWARDED, 3, 2],
      [2, PolicyVerdict.FORWARDED, 4, 1],
      [0x8000_0001, PolicyVerdict.DROPPED, 0, 0],
    ]);
  });

  it("gives an IPv4 address world, not an IPv6 CIDR identity (::/0), as addressIdentity does, with the map writer's entries", () => {
    const cidrIdentities = [{ cidr: "::/0", identity: 0x8000_0009 }];
    const writer = new PolicyMaps({ ...maps, cgroups: obj.map("fl_cgroups") }, { hostAddresses: () => [] });
    writer.applyCompiled({ entries: [], subjects: [], cidrIdentities });
    subject({ ingress: true });
    rule({ peer: 0x8000_0009, direction: "ingress", proto: 0, action: "allow", ruleId: 8 });
    expect(toSubject(packet(UDP, "192.0.2.1", S.ip, 5353, 53))).toBe(TC_SHOT);
    expect(policyRecords().map((r) => r.peer)).toEqual([addressIdentity(cidrIdentities, "192.0.2.1")]);
  });

  it("lets a deny win over an allow, from the peer's entries or the any-peer ones", () => {
    subject({ ingress: true });
    rule({ peer: 0, direction: "ingress", proto: TCP, port: 81, action: "allow", ruleId: 10 });
    rule({ peer: P.identity, direction: "ingress", proto: 0, action: "deny", ruleId: 11 });
    expect(toSubject(packet(TCP, P.ip, S.ip, 40010, 81, SYN))).toBe(TC_SHOT);
    clear(maps.policy);
    rule({ peer: P.identity, direction: "ingress", proto: TCP, port: 82, action: "allow", ruleId: 12 });
    rule({ peer: 0, direction: "ingress", proto: TCP, action: "deny", ruleId: 13 });
    expect(toSubject(packet(TCP, P.ip, S.ip, 40011, 82, SYN))).toBe(TC_SHOT);
    expect(policyRecords().map((r) => [r.verdict, r.dropReason, r.ruleId, r.matchType])).toEqual([
      [PolicyVerdict.DROPPED, PolicyDropReason.POLICY_DENY, 11, 1], // L3 only
      [PolicyVerdict.DROPPED, PolicyDropReason.POLICY_DENY, 13, 6], // proto only
    ]);
  });

  it("takes the longest port prefix: a range split into prefixes", () => {
    subject({ ingress: true });
    rule({ peer: 0, direction: "ingress", proto: TCP, port: 8000, portPrefixLen: 12, action: "allow", ruleId: 20 }); // 8000-8015
    expect(toSubject(packet(TCP, P.ip, S.ip, 40020, 8007, SYN))).toBe(TC_OK);
    expect(toSubject(packet(TCP, P.ip, S.ip, 40021, 8015, SYN))).toBe(TC_OK);
    expect(toSubject(packet(TCP, P.ip, S.ip, 40022, 8016, SYN))).toBe(TC_SHOT);
    expect(toSubject(packet(UDP, P.ip, S.ip, 40023, 8007, 0))).toBe(TC_SHOT);
    expect(policyRecords().map((r) => [r.ruleId, r.matchType])).toEqual([
      [20, 3],
      [20, 3],
      [0, 0],
      [0, 0],
    ]);
  });

  it("passes audited denies and an audit-only default deny with verdict AUDIT, and tracks them", () => {
    subject({ ingress: true, egress: true, auditEgress: true });
    rule({ peer: P.identity, direction: "ingress", proto: TCP, port: 90, action: "deny", ruleId: 30, audit: true });
    expect(toSubject(packet(TCP, P.ip, S.ip, 40030, 90, SYN))).toBe(TC_OK);
    expect(fromSubject(packet(TCP, S.ip, P.ip, 40031, 443, SYN))).toBe(TC_OK);
    expect(policyRecords().map((r) => [r.direction, r.verdict, r.dropReason, r.ruleId])).toEqual([
      [0, PolicyVerdict.AUDIT, PolicyDropReason.POLICY_DENY, 30],
      [1, PolicyVerdict.AUDIT, PolicyDropReason.POLICY_DENIED, 0],
    ]);
    expect(ct(P.ip, S.ip, 40030, 90, TCP, "ingress")?.verdict).toBe(PolicyVerdict.AUDIT);
    expect(ct(S.ip, P.ip, 40031, 443, TCP, "egress")?.verdict).toBe(PolicyVerdict.AUDIT);
  });

  it("marks an ingress allow with the L7 flag REDIRECTED and sets FL_CTF_L7 on the connection", () => {
    subject({ ingress: true });
    rule({ peer: P.identity, direction: "ingress", proto: TCP, port: 8080, action: "allow", ruleId: 40, l7: true });
    expect(toSubject(packet(TCP, P.ip, S.ip, 40040, 8080, SYN))).toBe(TC_OK);
    expect(policyRecords()).toMatchObject([{ verdict: PolicyVerdict.REDIRECTED, ruleId: 40 }]);
    expect(ct(P.ip, S.ip, 40040, 8080, TCP, "ingress")).toMatchObject({ verdict: PolicyVerdict.REDIRECTED, flags: CtFlag.L7 });
  });
});

describe("tc policy: connection tracking", () => {
  it("decides a bare SYN on a closed connection anew (tuple reuse), not the packets of the open one", () => {
    subject({ ingress: true });
    rule({ peer: P.identity, direction: "ingress", proto: TCP, port: 80, action: "allow", ruleId: 50 });
    expect(toSubject(packet(TCP, P.ip, S.ip, 40050, 80, SYN))).toBe(TC_OK);
    clear(maps.policy); // policy changes: the open connection keeps flowing
    expect(toSubject(packet(TCP, P.ip, S.ip, 40050, 80, ACK))).toBe(TC_OK);
    expect(toSubject(packet(TCP, P.ip, S.ip, 40050, 80, FIN | ACK))).toBe(TC_OK);
    expect(ct(P.ip, S.ip, 40050, 80, TCP, "ingress")?.flags).toBe(CtFlag.CLOSING);
    expect(toSubject(packet(TCP, P.ip, S.ip, 40050, 80, SYN))).toBe(TC_SHOT);
    expect(policyRecords().map((r) => r.verdict)).toEqual([PolicyVerdict.FORWARDED, PolicyVerdict.DROPPED]);
  });

  it("checks a mid-connection packet without an entry like a new connection", () => {
    subject({ ingress: true });
    expect(toSubject(packet(TCP, P.ip, S.ip, 40060, 80, ACK))).toBe(TC_SHOT);
    rule({ peer: P.identity, direction: "ingress", proto: TCP, port: 80, action: "allow", ruleId: 60 });
    expect(toSubject(packet(TCP, P.ip, S.ip, 40060, 80, ACK))).toBe(TC_OK);
    expect(policyRecords().map((r) => [r.verdict, r.tcpFlags])).toEqual([
      [PolicyVerdict.DROPPED, ACK],
      [PolicyVerdict.FORWARDED, ACK],
    ]);
  });

  it("lets an ICMP echo reply through as the reply of an allowed request", () => {
    subject({ ingress: true, egress: true });
    rule({ peer: P.identity, direction: "egress", proto: ICMP, action: "allow", ruleId: 70 });
    expect(fromSubject(packet(ICMP, S.ip, P.ip, 8, 0))).toBe(TC_OK); // echo request
    expect(toSubject(packet(ICMP, P.ip, S.ip, 0, 0))).toBe(TC_OK); // echo reply
    expect(toSubject(packet(ICMP, P.ip, S.ip, 8, 0))).toBe(TC_SHOT); // P's own request: ingress denies
    expect(policyRecords().map((r) => [r.direction, r.verdict, r.matchType])).toEqual([
      [1, PolicyVerdict.FORWARDED, 5], // L3 + proto
      [0, PolicyVerdict.DROPPED, 0],
    ]);
  });

  it("exempts IPv6 neighbour discovery from default deny", () => {
    subject({ ingress: true, egress: true });
    const b = Buffer.alloc(14 + 40 + 24);
    b.writeUInt16BE(0x86dd, 12);
    b[14] = 0x60;
    b.writeUInt16BE(24, 14 + 4);
    b[14 + 6] = 58; // ICMPv6
    b[14 + 7] = 255;
    addrToKey("fe80::1").copy(b, 14 + 8);
    addrToKey("ff02::1:ff00:2").copy(b, 14 + 24);
    b[54] = 135; // neighbour solicitation
    expect(fromSubject(b)).toBe(TC_OK);
    b[54] = 128; // echo request: policy applies
    expect(fromSubject(b)).toBe(TC_SHOT);
  });

  it("ignores interfaces that are not endpoints", () => {
    expect(toSubject(packet(TCP, P.ip, S.ip, 40070, 80, SYN))).toBe(TC_OK);
    expect(policyRecords()).toEqual([]);
    expect([...maps.ct.keys()]).toHaveLength(0);
  });
});

describe("tc policy: the same decision as @flowlens/policy's lookup", () => {
  const X = 0x8000_0007; // CIDR identity of 10.200.0.0/16
  const peers = [
    { ip: P.ip, identity: P.identity },
    { ip: "10.200.1.1", identity: X },
    { ip: "192.0.2.1", identity: ReservedIdentity.WORLD }, // an ipcache miss
    { ip: "10.9.0.3", identity: ReservedIdentity.ANY }, // an address whose identity is 0: only any-peer entries apply
  ];
  const e = (x: Partial<PolicyEntry> & Pick<PolicyEntry, "direction" | "peer" | "proto" | "action" | "ruleId">): PolicyEntry => ({
    subject: S.identity,
    port: 0,
    portPrefixLen: 0,
    audit: false,
    l7: false,
    ...x,
  });
  const compiled: CompiledPolicy = {
    entries: [
      e({ direction: "ingress", peer: P.identity, proto: TCP, port: 80, portPrefixLen: 16, action: "allow", ruleId: 1 }),
      e({ direction: "ingress", peer: P.identity, proto: TCP, port: 8000, portPrefixLen: 12, action: "deny", audit: true, ruleId: 2 }),
      e({ direction: "ingress", peer: 0, proto: TCP, action: "allow", ruleId: 3 }),
      e({ direction: "ingress", peer: 0, proto: TCP, port: 8008, portPrefixLen: 16, action: "deny", ruleId: 4 }),
      e({ direction: "ingress", peer: 0, proto: UDP, port: 53, portPrefixLen: 16, action: "allow", l7: true, ruleId: 5 }),
      e({ direction: "ingress", peer: P.identity, proto: ICMP, port: 3, portPrefixLen: 16, action: "allow", ruleId: 6 }),
      e({ direction: "ingress", peer: X, proto: 0, action: "allow", ruleId: 7 }),
      e({ direction: "egress", peer: P.identity, proto: 0, action: "allow", l7: true, ruleId: 8 }),
      e({ direction: "egress", peer: 0, proto: UDP, port: 5003, portPrefixLen: 13, action: "allow", ruleId: 9 }), // 5000-5007
      e({ direction: "egress", peer: X, proto: TCP, port: 443, portPrefixLen: 16, action: "deny", ruleId: 10 }),
      e({ direction: "egress", peer: 0, proto: TCP, port: 443, portPrefixLen: 16, action: "allow", ruleId: 11 }),
    ],
    subjects: [{ identity: S.identity, enforceIngress: true, enforceEgress: true, auditIngress: false, auditEgress: true }],
    cidrIdentities: [],
    rules: [],
    l7: [],
  };
  const kernelVerdict = { FORWARDED: PolicyVerdict.FORWARDED, DROPPED: PolicyVerdict.DROPPED, AUDIT: PolicyVerdict.AUDIT };

  it("agrees on verdict, rule, match type and drop reason for every peer, direction, protocol and port", () => {
    subject({ ingress: true, egress: true, auditEgress: true });
    for (const x of compiled.entries) maps.policy.update(policyKey(x), policyValue(x));
    maps.ipcache.update(ipcacheKey("10.200.0.0/16"), ipcacheValue(X, 0));
    maps.ipcache.update(ipcacheKey("10.9.0.3"), ipcacheValue(0, 0));
    let sport = 41000;
    const got: unknown[] = [];
    const want: unknown[] = [];
    for (const peer of peers)
      for (const direction of ["ingress", "egress"] as const)
        for (const [proto, port] of [
          ...[80, 8007, 8008, 8016, 53, 443, 5004, 5008].flatMap((p) => [[TCP, p] as const, [UDP, p] as const]),
          [ICMP, 3] as const, // type 8, code 3: ICMP has no ports, the kernel looks up port 0
        ]) {
          clear(maps.ct);
          const d = lookup(compiled, { subject: S.identity, direction, peer: peer.identity, proto, port });
          const sp = proto === ICMP ? 8 : sport++;
          const ret =
            direction === "ingress"
              ? toSubject(packet(proto, peer.ip, S.ip, sp, port, SYN))
              : fromSubject(packet(proto, S.ip, peer.ip, sp, port, SYN));
          const what = `${direction} ${peer.ip} ${proto}/${port}`;
          const [r] = policyRecords();
          got.push([what, ret, r?.peer, r?.verdict, r?.ruleId, r?.matchType, r?.dropReason]);
          want.push([
            what,
            d.verdict === "DROPPED" ? TC_SHOT : TC_OK,
            peer.identity,
            d.l7 ? PolicyVerdict.REDIRECTED : kernelVerdict[d.verdict],
            d.ruleId,
            d.matchType,
            d.dropReason ? PolicyDropReason[d.dropReason] : 0,
          ]);
        }
    expect(got).toEqual(want);
  });
});
