// FL_REC_POLICY records written byte by byte as the kernel does, decoded and read as Hubble flows.
import { DropReason, FlowType, L7FlowType, TrafficDirection, Verdict } from "@flowlens/proto";
import { beforeEach, describe, expect, it } from "vitest";
import { monoNowNs } from "../../clock/monotonic.js";
import { RecordDecoder, type RingEntry } from "../../datapath/decoder.js";
import type { DecoderHooks } from "../../datapath/decoder-hooks.js";
import { ABI_VERSION, Layout, PolicyHook, RecordKind } from "../../datapath/layout.js";
import { EndpointRegistry } from "../../endpoints/registry.js";
import { DerivedKind, type FlowEntry } from "../../flows/entry.js";
import { FlowFactsBuilder } from "../../flows/facts-builder.js";
import { FlowView } from "../../flows/flow-view.js";
import { KernelDropReasons } from "../../flows/kernel-drop-reasons.js";
import { LiveRing } from "../../flows/ring.js";
import { derivedLabels, RuleHistory, RuleTable } from "../../flows/rule-table.js";
import { addrToKey } from "../../net/ip.js";
import { L7Event } from "./l7-flows.js";

const F = Layout.fl_policy_record.fields;
const K = Layout.fl_flow_key.fields;

interface Rec {
  saddr: string;
  daddr: string;
  sport: number;
  dport: number;
  ifindex: number;
  tcDir: number;
  proto?: number;
  direction: number;
  verdict: number;
  ruleId: number;
  matchType: number;
  hook?: number;
  dropReason?: number;
  tcpFlags?: number;
  pid?: number;
  endpointId?: number;
  cgroupId?: number;
  ts: number;
}

function record(r: Rec): Buffer {
  const b = Buffer.alloc(Layout.fl_policy_record.size);
  b.writeUInt16LE(RecordKind.POLICY, 0);
  b.writeUInt16LE(ABI_VERSION, 2);
  b.writeUInt32LE(b.length, 4);
  b.writeBigUInt64LE(BigInt(Math.round(r.ts)), 8);
  const k = F.key;
  addrToKey(r.saddr).copy(b, k + K.saddr);
  addrToKey(r.daddr).copy(b, k + K.daddr);
  b.writeUInt16LE(r.sport, k + K.sport);
  b.writeUInt16LE(r.dport, k + K.dport);
  b.writeUInt32LE(r.ifindex, k + K.ifindex);
  b[k + K.proto] = r.proto ?? 6;
  b[k + K.ip_version] = r.saddr.includes(":") ? 6 : 4;
  b[k + K.tc_dir] = r.tcDir;
  b.writeUInt32LE(70001, F.subject_identity);
  b.writeUInt32LE(70002, F.peer_identity);
  b.writeUInt32LE(r.ruleId, F.rule_id);
  b[F.direction] = r.direction;
  b[F.verdict] = r.verdict;
  b[F.match_type] = r.matchType;
  b[F.hook] = r.hook ?? PolicyHook.TC;
  b.writeUInt16LE(r.dropReason ?? 0, F.drop_reason);
  b.writeUInt16LE(r.tcpFlags ?? 0x02, F.tcp_flags);
  b.writeUInt32LE(r.pid ?? 0, F.pid);
  b.writeUInt32LE(r.endpointId ?? 0, F.endpoint_id);
  b.writeBigUInt64LE(BigInt(r.cgroupId ?? 0), F.cgroup_id);
  return b;
}

const allowApp2 = {
  name: "app1-policy",
  namespace: "default",
  kind: "CiliumNetworkPolicy",
  labels: derivedLabels("app1-policy", "default", "CiliumNetworkPolicy"),
  revision: 3,
};
const denyApp3 = { ...allowApp2, name: "deny-app3", labels: derivedLabels("deny-app3", "default", "CiliumNetworkPolicy") };

describe("policy verdict flows", () => {
  let registry: EndpointRegistry;
  let ring: LiveRing<RingEntry>;
  let decoder: RecordDecoder;
  let hooks: DecoderHooks;
  let view: FlowView;
  const history = new RuleHistory();

  beforeEach(() => {
    registry = new EndpointRegistry();
    const ep = (name: string, ifindex: number, ip: string) =>
      registry.upsert(
        { name, namespace: "default", labels: { app: name }, netns: name, interface: `veth-${name}` },
        { ifindex, ips: [ip] },
      );
    ep("app1", 11, "10.7.0.1");
    ep("app2", 12, "10.7.0.2");
    ep("app3", 13, "10.7.0.3");
    ring = new LiveRing<RingEntry>(64);
    history.push(new RuleTable(monoNowNs(), [[], [allowApp2], [denyApp3]], ["", "allow", "deny"]));
    hooks = { rulesAt: (ts) => history.at(ts), isPolicyDrop: () => false };
    decoder = new RecordDecoder(ring, hooks);
    const facts = new FlowFactsBuilder({
      nodeName: "node-a",
      registry,
      hostIps: new Set(),
      decoder,
      dropReasons: new KernelDropReasons(new Map()),
      ifname: () => "",
    });
    view = new FlowView(facts, "node-a");
  });

  function decode(r: Rec) {
    const b = record(r);
    decoder.decodeOne(b, 0);
    const entries: FlowEntry[] = [];
    for (let s = ring.oldest; s < ring.written; s++) entries.push(ring.get(s) as FlowEntry);
    return entries.map((e) => ({ kind: e.kind, flow: view.object(e) }));
  }

  let base: { sport: number; dport: number; ts: number; matchType: number };
  beforeEach(() => {
    base = { sport: 40000, dport: 80, ts: monoNowNs() + 1e6, matchType: 2 };
  });

  it("an allowed ingress connection: policy-verdict, FORWARDED, ingress_allowed_by", () => {
    // Seen on app1's veth at tc egress (entering app1), decided by app1's ingress rules.
    const out = decode({ ...base, saddr: "10.7.0.2", daddr: "10.7.0.1", ifindex: 11, tcDir: 1, direction: 0, verdict: 1, ruleId: 1 });
    expect(out).toHaveLength(1);
    const f = out[0].flow;
    expect(f.eventType).toMatchObject({ type: 5, subType: 0 });
    expect(f.verdict).toBe(Verdict.FORWARDED);
    expect(f.trafficDirection).toBe(TrafficDirection.INGRESS);
    expect(f.policyMatchType).toBe(2);
    expect(f.isReply).toBe(false);
    expect(f.source?.podName).toBe("app2");
    expect(f.destination?.podName).toBe("app1");
    expect(f.interface).toMatchObject({ index: 11, name: "veth-app1" });
    expect(f.ingressAllowedBy.map((p) => [p.name, p.namespace, p.kind, Number(p.revision)])).toEqual([
      ["app1-policy", "default", "CiliumNetworkPolicy", 3],
    ]);
    expect(f.ingressAllowedBy[0].labels).toEqual([
      "k8s:io.cilium.k8s.policy.derived-from=CiliumNetworkPolicy",
      "k8s:io.cilium.k8s.policy.name=app1-policy",
      "k8s:io.cilium.k8s.policy.namespace=default",
    ]);
    expect(f.egressAllowedBy).toEqual([]);
    expect(f.dropReasonDesc).toBe(DropReason.DROP_REASON_UNKNOWN);
  });

  it("REDIRECTED to the L7 proxy reads as FORWARDED", () => {
    const out = decode({ ...base, saddr: "10.7.0.2", daddr: "10.7.0.1", ifindex: 11, tcDir: 1, direction: 0, verdict: 5, ruleId: 1 });
    expect(out[0].flow.verdict).toBe(Verdict.FORWARDED);
    expect(out[0].flow.isReply).toBe(false);
  });

  it("a default-deny drop: policy-verdict DROPPED POLICY_DENIED, then the drop event", () => {
    const out = decode({
      ...base,
      matchType: 0,
      saddr: "10.7.0.3",
      daddr: "10.7.0.1",
      ifindex: 11,
      tcDir: 1,
      direction: 0,
      verdict: 2,
      ruleId: 0,
      dropReason: 133,
    });
    expect(out.map((o) => o.kind)).toEqual([RecordKind.POLICY, DerivedKind.POLICY_DROP]);
    const [pv, drop] = out.map((o) => o.flow);
    for (const f of [pv, drop]) {
      expect(f.verdict).toBe(Verdict.DROPPED);
      expect(f.dropReasonDesc).toBe(DropReason.POLICY_DENIED);
      expect(f.dropReason).toBe(133);
      expect(f.source?.podName).toBe("app3");
      expect(f.ingressDeniedBy).toEqual([]);
      expect(f.Summary).toBe("TCP Flags: SYN");
    }
    expect(pv.eventType).toMatchObject({ type: 5, subType: 0 });
    expect(drop.eventType).toMatchObject({ type: 1, subType: 133 });
    expect(drop.uuid).not.toBe(pv.uuid);
  });

  it.each([
    [134, DropReason.INVALID_PACKET_DROPPED],
    [135, DropReason.CT_TRUNCATED_OR_INVALID_HEADER],
    [156, DropReason.INVALID_IPV6_EXTENSION_HEADER],
    [175, DropReason.FIRST_LOGICAL_DATAGRAM_FRAGMENT_NOT_FOUND],
  ])("a packet tc could not decide on (reason %i) is a drop event only, no policy verdict, and counts in drop_total", (reason, desc) => {
    const out = decode({
      ...base,
      matchType: 0,
      saddr: "10.7.0.3",
      daddr: "10.7.0.1",
      ifindex: 11,
      tcDir: 1,
      direction: 0,
      verdict: 2,
      ruleId: 0,
      dropReason: reason,
    });
    expect(out.map((o) => o.kind)).toEqual([DerivedKind.POLICY_DROP]);
    const f = out[0].flow;
    expect(f.verdict).toBe(Verdict.DROPPED);
    expect(f.dropReasonDesc).toBe(desc);
    expect(f.eventType).toMatchObject({ type: 1, subType: reason });
    expect(f.source?.podName).toBe("app3");
    expect(decoder.verdicts.verdictTotals()).toEqual([]);
    expect(decoder.verdicts.dropTotals(() => 0)).toEqual([{ reason: DropReason[desc], protocol: "TCP", value: 1 }]);
  });

  it("an explicit deny names its policy in egress_denied_by (egress of the source)", () => {
    // Seen on app3's veth at tc ingress (leaving app3), decided by app3's egress rules.
    const out = decode({
      ...base,
      saddr: "10.7.0.3",
      daddr: "10.7.0.1",
      ifindex: 13,
      tcDir: 0,
      direction: 1,
      verdict: 2,
      ruleId: 2,
      dropReason: 181,
    });
    const f = out[0].flow;
    expect(f.trafficDirection).toBe(TrafficDirection.EGRESS);
    expect(f.dropReasonDesc).toBe(DropReason.POLICY_DENY);
    expect(f.egressDeniedBy.map((p) => p.name)).toEqual(["deny-app3"]);
    expect(f.ingressDeniedBy).toEqual([]);
  });

  it("AUDIT: no drop reason and no drop event, the would-be deny still named", () => {
    const out = decode({
      ...base,
      saddr: "10.7.0.3",
      daddr: "10.7.0.1",
      ifindex: 11,
      tcDir: 1,
      direction: 0,
      verdict: 4,
      ruleId: 2,
      dropReason: 181,
    });
    expect(out).toHaveLength(1);
    expect(out[0].flow.verdict).toBe(Verdict.AUDIT);
    expect(out[0].flow.dropReasonDesc).toBe(DropReason.DROP_REASON_UNKNOWN);
    expect(out[0].flow.ingressDeniedBy.map((p) => p.name)).toEqual(["deny-app3"]);
  });

  it("connect() refused at the socket: the subject endpoint is the source, pid and cgroup kept", () => {
    const out = decode({
      ...base,
      saddr: "0.0.0.0",
      sport: 0,
      daddr: "10.7.0.1",
      ifindex: 0,
      tcDir: 0,
      direction: 1,
      verdict: 2,
      ruleId: 0,
      dropReason: 133,
      hook: PolicyHook.CONNECT,
      pid: 4242,
      endpointId: registry.get("default", "app3")?.id,
      cgroupId: 2 ** 33 + 5,
    });
    const f = out[0].flow;
    expect(f.source?.podName).toBe("app3");
    expect(f.IP?.source).toBe("10.7.0.3");
    expect(f.interface).toBeUndefined();
    expect(f.cgroupId).toBe(BigInt(2 ** 33 + 5));
  });

  it("counts verdicts and drops for the metrics", () => {
    decode({ ...base, saddr: "10.7.0.2", daddr: "10.7.0.1", ifindex: 11, tcDir: 1, direction: 0, verdict: 1, ruleId: 1 });
    decode({
      ...base,
      matchType: 0,
      saddr: "10.7.0.3",
      daddr: "10.7.0.1",
      ifindex: 11,
      tcDir: 1,
      direction: 0,
      verdict: 2,
      ruleId: 0,
      dropReason: 133,
    });
    expect(decoder.verdicts.verdictTotals()).toEqual(
      expect.arrayContaining([
        { direction: "ingress", match: "l3-l4", action: "forwarded", value: 1 },
        { direction: "ingress", match: "none", action: "dropped", value: 1 },
      ]),
    );
    expect(decoder.verdicts.dropTotals(() => 0)).toEqual([{ reason: "POLICY_DENIED", protocol: "TCP", value: 1 }]);
  });

  it("the kernel's report of our own tc policy drop is not shown a second time", () => {
    const b = Buffer.alloc(Layout.fl_drop_record.size);
    b.writeUInt16LE(RecordKind.DROP, 0);
    b.writeUInt16LE(ABI_VERSION, 2);
    b.writeUInt32LE(b.length, 4);
    b.writeUInt32LE(11, Layout.fl_drop_record.fields.key + K.ifindex);
    b.writeUInt32LE(62, Layout.fl_drop_record.fields.reason);
    hooks.isPolicyDrop = (reason, ifindex) => reason === 62 && ifindex === 11;
    decoder.decodeOne(b, 0);
    expect(ring.written).toBe(0);
    expect(decoder.counts.policyKernelDrops).toBe(1);
    b.writeUInt32LE(2, Layout.fl_drop_record.fields.reason); // any other kernel drop is shown
    decoder.decodeOne(b, 0);
    expect(ring.written).toBe(1);
  });

  it("rule ids are read against the table in force when the kernel decided", () => {
    const before = monoNowNs();
    history.push(new RuleTable(before + 5e9, [[], [denyApp3]], ["", "x"])); // takes effect later
    const out = decode({
      ...base,
      ts: before + 1e6,
      saddr: "10.7.0.2",
      daddr: "10.7.0.1",
      ifindex: 11,
      tcDir: 1,
      direction: 0,
      verdict: 1,
      ruleId: 1,
    });
    expect(out[0].flow.ingressAllowedBy[0].name).toBe("app1-policy");
  });
});

describe("L7 flows", () => {
  let registry: EndpointRegistry;
  let view: FlowView;
  const l7 = (tsNs: number, over: Partial<L7Event["rec"]> = {}) =>
    new L7Event(
      tsNs,
      {
        time: 0,
        endpointId: 1,
        type: "REQUEST",
        srcIp: "10.7.0.2",
        srcPort: 41000,
        dstIp: "10.7.0.1",
        dstPort: 80,
        method: "GET",
        url: "/restricted",
        protocol: "HTTP/1.1",
        code: 403,
        latencyNs: 0,
        verdict: "DROPPED",
        ruleId: 0,
        subjectIdentity: registry.get("default", "app1")?.identity ?? 0,
        peerIdentity: 2,
        ...over,
      },
      RuleTable.EMPTY,
    );

  beforeEach(() => {
    registry = new EndpointRegistry();
    registry.upsert(
      { name: "app1", namespace: "default", labels: { app: "app1" }, netns: "a", interface: "va" },
      { ifindex: 5, ips: ["10.7.0.1"] },
    );
    const ring = new LiveRing<RingEntry>(4);
    const decoder = new RecordDecoder(ring);
    const facts = new FlowFactsBuilder({
      nodeName: "n",
      registry,
      hostIps: new Set(),
      decoder,
      dropReasons: new KernelDropReasons(new Map()),
      ifname: () => "",
    });
    view = new FlowView(facts, "n");
  });

  it("a denied request: Type L7, event type 129, REQUEST, 403, DROPPED, endpoints resolved", () => {
    const f = view.object(l7(monoNowNs()));
    expect(f.Type).toBe(FlowType.L7);
    expect(f.eventType).toMatchObject({ type: 129 });
    expect(f.l7?.type).toBe(L7FlowType.REQUEST);
    expect(f.l7?.record).toMatchObject({ case: "http", value: { method: "GET", url: "http://10.7.0.1/restricted", code: 403 } });
    expect(f.verdict).toBe(Verdict.DROPPED);
    expect(f.destination?.podName).toBe("app1");
    expect(f.source?.identity).toBe(2); // unknown address: world
    expect(f.l4?.protocol).toMatchObject({ case: "TCP", value: { sourcePort: 41000, destinationPort: 80 } });
  });

  it("a request from before the registry knew anyone (buffered by the proxy while no collector ran) names today's pods when the identities agree", () => {
    const app2 = registry.upsert(
      { name: "app2", namespace: "default", labels: { app: "app2" }, netns: "b", interface: "vb" },
      { ifindex: 6, ips: ["10.7.0.2"] },
    );
    const before = (registry.get("default", "app1")?.sinceNs ?? 0) - 5e9;
    const f = view.object(l7(before, { peerIdentity: app2.identity }));
    expect([f.source?.podName, f.source?.identity]).toEqual(["app2", app2.identity]);
    expect(f.destination?.podName).toBe("app1");
    // The address is someone else's now: the identity the proxy saw decides (its labels, no pod name).
    const app3 = registry.upsert(
      { name: "app3", namespace: "default", labels: { app: "app3" }, netns: "c", interface: "vc" },
      { ifindex: 7, ips: ["10.7.0.3"] },
    );
    const other = view.object(l7(before, { srcIp: "10.7.0.2", peerIdentity: app3.identity }));
    expect(other.source).toMatchObject({ identity: app3.identity, podName: "", labels: app3.labelStrings });
    // World then, a pod now: still world.
    expect(view.object(l7(before, { peerIdentity: 2 })).source).toMatchObject({ identity: 2, podName: "" });
  });
});
