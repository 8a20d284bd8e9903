// The tc programs fail closed on an enforcing endpoint (BPF_PROG_TEST_RUN on the real verifier and
// kernel): packets the parser cannot read are dropped, counted and reported with a drop reason, and
// IP fragments follow their first fragment (ports from the fragment map, verdict from policy/CT).
// Without enforcement the same packets pass, as before. The subject endpoint sits at ifindex 1
// (a test run's skb comes in on loopback).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type BpfMap, BpfObject, RingBufferReader } from "libbpf-ts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { endpointInfo, ipcacheKey, ipcacheValue, policyKey, policyValue, u32Key } from "../policy/maps/keys.js";
import { ipv4, ipv6, TCP, tcpSegment, UDP, udpDatagram, vlanTagged } from "./crafted-packets.js";
import { Off, PolicyDropReason, PolicyVerdict, RecordKind, Stat } from "./layout.js";

const BPF_DIR = fileURLToPath(new URL("../../../../bpf", import.meta.url));
const OK = 0;
const SHOT = 2;
const SYN = 0x02;
const { INVALID_PACKET_DROPPED, CT_TRUNCATED_OR_INVALID_HEADER, INVALID_IPV6_EXTENSION_HEADER, FRAG_NOT_FOUND } = PolicyDropReason;

const S = { ip: "10.9.1.1", ip6: "fd00:9:1::1", identity: 71001, endpointId: 5 };
const P = { ip: "10.9.1.2", ip6: "fd00:9:1::2", identity: 71002 }; // allowed: TCP 80, UDP 53
const Q = { ip: "10.9.1.3", ip6: "fd00:9:1::3", identity: 71003 }; // no rule: denied

let obj: BpfObject;
let maps: Record<"policy" | "ipcache" | "endpoints" | "ct" | "flows" | "frags" | "stats", BpfMap>;
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
    frags: obj.map("fl_frags"),
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

beforeEach(() => {
  for (const m of [maps.policy, maps.ipcache, maps.endpoints, maps.ct, maps.flows, maps.frags]) {
    for (const k of [...m.keys()]) m.delete(k);
  }
  reader.consume();
  records = [];
  for (const e of [S, P, Q]) {
    maps.ipcache.update(ipcacheKey(e.ip), ipcacheValue(e.identity, 0));
    maps.ipcache.update(ipcacheKey(e.ip6), ipcacheValue(e.identity, 0));
  }
  for (const [proto, port] of [
    [TCP, 80],
    [UDP, 53],
  ]) {
    const e = { subject: S.identity, peer: P.identity, direction: "ingress" as const, proto, port, portPrefixLen: 16 };
    maps.policy.update(policyKey(e), policyValue({ ...e, ruleId: 9, action: "allow", audit: false, l7: false }));
  }
});

function subject(enforceIngress: boolean, enforceEgress = false): void {
  maps.endpoints.update(
    u32Key(1),
    endpointInfo({
      endpointId: S.endpointId,
      identity: S.identity,
      enforceIngress,
      enforceEgress,
      auditIngress: false,
      auditEgress: false,
    }),
  );
}

/** Into the subject (its ingress policy) and out of it (its egress policy). */
const toSubject = (pkt: Buffer) => obj.program("fl_tc_egress").testRun({ data: pkt }).retval;
const fromSubject = (pkt: Buffer) => obj.program("fl_tc_ingress").testRun({ data: pkt }).retval;

/** Drop records since the last call: [drop reason, sport, dport]. */
function drops(): [number, number, number][] {
  reader.consume();
  const out = records
    .filter((r) => r.readUInt16LE(0) === RecordKind.POLICY && r[Off.polVerdict] === PolicyVerdict.DROPPED)
    .map((r): [number, number, number] => [r.readUInt16LE(Off.polDropReason), r.readUInt16LE(Off.sport), r.readUInt16LE(Off.dport)]);
  records = [];
  return out;
}

function stat(i: number): number {
  const v = maps.stats.lookup(u32Key(i));
  let n = 0;
  for (let o = 0; v && o < v.length; o += 8) n += Number(v.readBigUInt64LE(o));
  return n;
}

/** A SYN with 20 bytes of options split after `firstBytes` of TCP header, as (first, rest). */
function splitSyn(src: string, dst: string, id: number, firstBytes: number, v6 = false): [Buffer, Buffer] {
  const seg = tcpSegment(41000, 80, SYN, 20);
  seg[12] = 0xa0; // data offset 10 words: the options are part of the header
  const head = seg.subarray(0, firstBytes);
  const tail = seg.subarray(firstBytes);
  const offset = firstBytes / 8;
  if (v6) return [ipv6(TCP, src, dst, head, { fragId: id, mf: true }), ipv6(TCP, src, dst, tail, { fragId: id, offset })];
  return [ipv4(TCP, src, dst, head, { id, mf: true }), ipv4(TCP, src, dst, tail, { id, offset })];
}

/** A UDP datagram of `size` payload bytes split at `at` bytes (multiple of 8), as (first, rest). */
function splitUdp(src: string, dst: string, id: number, dport: number, size: number, at: number, v6 = false): [Buffer, Buffer] {
  const d = udpDatagram(42000, dport, size);
  const [head, tail] = [d.subarray(0, at), d.subarray(at)];
  if (v6) return [ipv6(UDP, src, dst, head, { fragId: id, mf: true }), ipv6(UDP, src, dst, tail, { fragId: id, offset: at / 8 })];
  return [ipv4(UDP, src, dst, head, { id, mf: true }), ipv4(UDP, src, dst, tail, { id, offset: at / 8 })];
}

describe("fragments on an enforcing endpoint", () => {
  it("drops a first fragment carrying only 8 bytes of TCP header, even to an allowed port, and its later fragment", () => {
    subject(true);
    const before = stat(Stat.INVALID_DROPS);
    const [first, rest] = splitSyn(P.ip, S.ip, 0x1234, 8);
    expect(toSubject(first)).toBe(SHOT);
    expect(toSubject(rest)).toBe(SHOT);
    expect(drops()).toEqual([
      [CT_TRUNCATED_OR_INVALID_HEADER, 0, 0],
      [FRAG_NOT_FOUND, 0, 0],
    ]);
    expect(stat(Stat.INVALID_DROPS)).toBe(before + 2);
  });

  it("passes a first fragment with the whole TCP header to an allowed port, and its later fragment by the same connection", () => {
    subject(true);
    const [first, rest] = splitSyn(P.ip, S.ip, 0x1235, 24);
    expect(toSubject(first)).toBe(OK);
    expect(toSubject(rest)).toBe(OK);
    expect(drops()).toEqual([]);
  });

  it("drops the later fragments of a denied first fragment by the same decision, with its ports", () => {
    subject(true);
    const [first, rest] = splitUdp(Q.ip, S.ip, 0x77, 53, 2000, 1480);
    expect(toSubject(first)).toBe(SHOT);
    expect(toSubject(rest)).toBe(SHOT);
    expect(drops()).toEqual([
      [PolicyDropReason.POLICY_DENIED, 42000, 53],
      [PolicyDropReason.POLICY_DENIED, 42000, 53],
    ]);
  });

  it("passes an allowed UDP datagram larger than the MTU, IPv4 and IPv6", () => {
    subject(true);
    const v4 = splitUdp(P.ip, S.ip, 0x99, 53, 3000, 1480);
    const v6 = splitUdp(P.ip6, S.ip6, 0xabcdef01, 53, 3000, 1448, true);
    expect([...v4, ...v6].map(toSubject)).toEqual([OK, OK, OK, OK]);
    expect(drops()).toEqual([]);
  });

  it("passes a fragmented reply through an enforced direction by its connection (both fragments match CT)", () => {
    subject(true, true);
    expect(toSubject(ipv4(UDP, P.ip, S.ip, udpDatagram(42000, 53, 40)))).toBe(OK);
    const d = udpDatagram(53, 42000, 3000);
    const reply = [
      ipv4(UDP, S.ip, P.ip, d.subarray(0, 1480), { id: 0x31, mf: true }),
      ipv4(UDP, S.ip, P.ip, d.subarray(1480), { id: 0x31, offset: 185 }),
    ];
    expect(reply.map(fromSubject)).toEqual([OK, OK]);
    expect(drops()).toEqual([]);
  });

  it("out of order: a later fragment before its first is dropped (FRAG_NOT_FOUND); once the first passed, it passes", () => {
    subject(true);
    const [first, rest] = splitUdp(P.ip, S.ip, 0x55, 53, 2000, 1480);
    expect(toSubject(rest)).toBe(SHOT);
    expect(drops()).toEqual([[FRAG_NOT_FOUND, 0, 0]]);
    expect(toSubject(first)).toBe(OK);
    expect(toSubject(rest)).toBe(OK);
    expect(drops()).toEqual([]);
  });

  it("overlapping: a second first fragment of an allowed datagram with a denied port is dropped", () => {
    subject(true);
    const [first] = splitUdp(P.ip, S.ip, 0x66, 53, 2000, 1480);
    const [evil] = splitUdp(P.ip, S.ip, 0x66, 54, 2000, 1480);
    expect(toSubject(first)).toBe(OK);
    expect(toSubject(evil)).toBe(SHOT);
    expect(drops()).toEqual([[PolicyDropReason.POLICY_DENIED, 42000, 54]]);
  });

  it("overlapping: a TCP fragment at offset 8 bytes (it would rewrite the first's flags) is dropped", () => {
    subject(true);
    const [first] = splitSyn(P.ip, S.ip, 0x1236, 24);
    const flags = ipv4(TCP, P.ip, S.ip, Buffer.alloc(16), { id: 0x1236, offset: 1 });
    expect(toSubject(first)).toBe(OK);
    expect(toSubject(flags)).toBe(SHOT);
    expect(drops()).toEqual([[INVALID_PACKET_DROPPED, 0, 0]]);
  });

  it("IPv6 fragment header: a tiny first fragment and an unknown later fragment are dropped", () => {
    subject(true);
    const [first, rest] = splitSyn(P.ip6, S.ip6, 0xdead, 8, true);
    expect(toSubject(first)).toBe(SHOT);
    expect(toSubject(rest)).toBe(SHOT);
    expect(drops()).toEqual([
      [CT_TRUNCATED_OR_INVALID_HEADER, 0, 0],
      [FRAG_NOT_FOUND, 0, 0],
    ]);
  });

  it("enforces egress too: the subject's own tiny first fragment is dropped on the way out", () => {
    subject(false, true);
    const [first] = splitSyn(S.ip, P.ip, 0x4321, 8);
    expect(fromSubject(first)).toBe(SHOT);
    expect(drops()).toEqual([[CT_TRUNCATED_OR_INVALID_HEADER, 0, 0]]);
  });
});

describe("unreadable headers on an enforcing endpoint", () => {
  const syn = () => tcpSegment(41000, 80, SYN);
  it.each([
    ["a frame that ends inside the IPv4 header", vlanTagged(ipv4(TCP, P.ip, S.ip, syn(), { truncate: 14 + 12 })), INVALID_PACKET_DROPPED],
    ["a frame that ends inside its VLAN tag", vlanTagged(ipv4(TCP, P.ip, S.ip, syn())).subarray(0, 16), INVALID_PACKET_DROPPED],
    ["IPv4 with IHL 4", ipv4(TCP, P.ip, S.ip, syn(), { ihl: 4 }), INVALID_PACKET_DROPPED],
    [
      "IPv4 whose options run past the frame",
      ipv4(TCP, P.ip, S.ip, Buffer.alloc(0), { ihl: 15, truncate: 14 + 24 }),
      INVALID_PACKET_DROPPED,
    ],
    ["IPv4 whose total length is shorter than its header", ipv4(TCP, P.ip, S.ip, syn(), { totLen: 16 }), INVALID_PACKET_DROPPED],
    ["a TCP header cut by the IPv4 total length", ipv4(TCP, P.ip, S.ip, syn(), { totLen: 20 + 12 }), CT_TRUNCATED_OR_INVALID_HEADER],
    ["a TCP header cut by the frame", ipv4(TCP, P.ip, S.ip, syn(), { truncate: 14 + 20 + 10 }), CT_TRUNCATED_OR_INVALID_HEADER],
    ["a UDP header cut to 4 bytes", ipv4(UDP, P.ip, S.ip, udpDatagram(42000, 53).subarray(0, 4)), CT_TRUNCATED_OR_INVALID_HEADER],
    ["a frame that ends inside the IPv6 header", vlanTagged(ipv6(TCP, P.ip6, S.ip6, syn(), { truncate: 14 + 30 })), INVALID_PACKET_DROPPED],
    [
      "IPv6 with more extension headers than the parser follows",
      ipv6(TCP, P.ip6, S.ip6, syn(), { extHeaders: 7 }),
      INVALID_IPV6_EXTENSION_HEADER,
    ],
    [
      "IPv6 cut inside an extension header",
      ipv6(TCP, P.ip6, S.ip6, syn(), { extHeaders: 1, truncate: 14 + 40 + 1 }),
      INVALID_IPV6_EXTENSION_HEADER,
    ],
    ["a TCP header cut after IPv6", ipv6(TCP, P.ip6, S.ip6, syn(), { truncate: 14 + 40 + 12 }), CT_TRUNCATED_OR_INVALID_HEADER],
  ])("drops %s, counts it and reports it", (_what, pkt, reason) => {
    subject(true);
    const before = stat(Stat.INVALID_DROPS);
    expect(toSubject(pkt)).toBe(SHOT);
    expect(drops().map((d) => d[0])).toEqual([reason]);
    expect(stat(Stat.INVALID_DROPS)).toBe(before + 1);
  });

  it("still passes the same allowed SYN when it is whole (IPv4 and IPv6)", () => {
    subject(true);
    expect(toSubject(ipv4(TCP, P.ip, S.ip, tcpSegment(41000, 80, SYN)))).toBe(OK);
    expect(toSubject(ipv6(TCP, P.ip6, S.ip6, tcpSegment(41000, 80, SYN), { extHeaders: 2 }))).toBe(OK);
    expect(drops()).toEqual([]);
  });
});

describe("without enforcement (observe only)", () => {
  it.each([
    ["a direction that is not enforced", () => subject(false, true)],
    ["an interface that is not an endpoint", () => {}],
  ])("passes unreadable packets and fragments on %s, counting parse errors", (_what, setup) => {
    setup();
    const parseErrors = stat(Stat.PARSE_ERRORS);
    const [first, rest] = splitSyn(Q.ip, S.ip, 0x2222, 8);
    expect(toSubject(first)).toBe(OK);
    expect(toSubject(rest)).toBe(OK);
    expect(toSubject(ipv4(TCP, Q.ip, S.ip, tcpSegment(1, 2, SYN), { ihl: 4 }))).toBe(OK);
    expect(drops()).toEqual([]);
    expect(stat(Stat.PARSE_ERRORS)).toBe(parseErrors + 2);
  });
});
