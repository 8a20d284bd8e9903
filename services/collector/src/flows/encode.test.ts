// The hand-written encoder must produce what protobuf-es would: every case is built both ways
// and compared as decoded messages.
import { create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import {
  DropReason,
  FlowEvent,
  FlowExtensionSchema,
  FlowSchema,
  FlowType,
  GetFlowsResponseSchema,
  IPVersion,
  L7FlowType,
  TraceObservationPoint,
  TrafficDirection,
  Verdict,
} from "@flowlens/proto";
import { describe, expect, it } from "vitest";
import { timestampFromWallNs } from "../clock/monotonic.js";
import { ProtoWriter } from "../wire/writer.js";
import { RESPONSE, writeExtensionField, writeFlowFields, writeTimestamp } from "./encode.js";
import type { EndpointFacts, FlowFacts } from "./facts.js";
import type { FlowPolicyRef } from "./rule-table.js";

const web: EndpointFacts = {
  id: 3,
  identity: 70000,
  namespace: "default",
  podName: "web-1",
  labels: ["app=web", "io.kubernetes.pod.namespace=default"],
};
const world: EndpointFacts = { id: 0, identity: 2, namespace: "", podName: "", labels: ["reserved:world"] };

const tcp: FlowFacts = {
  timeNs: 1_764_140_000_123 * 1e6, // wall-clock ns are above 2^53: exact to the microsecond only
  verdict: Verdict.FORWARDED,
  dropReason: 0,
  dropReasonDesc: DropReason.DROP_REASON_UNKNOWN,
  ethSrc: "02:00:00:aa:bb:cc",
  ethDst: "02:00:00:dd:ee:ff",
  srcIp: "10.200.0.10",
  dstIp: "10.200.0.11",
  ipVersion: IPVersion.IPv4,
  l4: "TCP",
  sport: 43210,
  dport: 8080,
  tcpFlags: 0x12,
  source: web,
  destination: { ...web, id: 4, identity: 80000, podName: "api" },
  type: FlowType.L3_L4,
  nodeName: "node-a",
  isReply: true,
  eventType: 4,
  eventSubType: 5,
  trafficDirection: TrafficDirection.INGRESS,
  traceObservationPoint: TraceObservationPoint.FROM_ENDPOINT,
  ifindex: 42,
  ifname: "fldv0",
  cgroupId: 2 ** 40 + 3,
  summary: "TCP Flags: SYN, ACK",
  ext: {
    packets: 2 ** 33,
    bytes: 2 ** 45 + 1,
    firstNs: 1_764_140_000_000 * 1e6,
    lastNs: 1_764_140_000_123 * 1e6,
    rttNs: 35_000,
    retransmits: 2,
    pid: 4242,
    comm: "curl",
    events: [FlowEvent.NEW, FlowEvent.TCP_FLAGS],
    kernelDropReason: 0,
    kernelDropReasonName: "",
    tcpFlagsSeen: 0x13,
  },
};

const cases: [string, FlowFacts][] = [
  ["TCP SYN-ACK with everything set", tcp],
  [
    "UDP query, not a reply",
    { ...tcp, l4: "UDP", sport: 5353, dport: 53, tcpFlags: 0, isReply: false, summary: "UDP", ext: { ...tcp.ext, tcpFlagsSeen: 0 } },
  ],
  [
    "ICMPv6 to the world over IPv6",
    {
      ...tcp,
      l4: "ICMPv6",
      sport: 135,
      dport: 0,
      srcIp: "fd00:200::10",
      dstIp: "ff02::1:ff00:11",
      ipVersion: IPVersion.IPv6,
      destination: world,
      summary: "ICMPv6 NeighborSolicitation",
    },
  ],
  [
    "kernel drop: no reply flag, no interface, no ethernet",
    {
      ...tcp,
      verdict: Verdict.DROPPED,
      dropReason: DropReason.SOCKET_LOOKUP_FAILED,
      dropReasonDesc: DropReason.SOCKET_LOOKUP_FAILED,
      ethSrc: "",
      ethDst: "",
      isReply: undefined,
      eventType: 1,
      eventSubType: DropReason.SOCKET_LOOKUP_FAILED,
      traceObservationPoint: TraceObservationPoint.UNKNOWN_POINT,
      ifindex: 0,
      ifname: "",
      summary: "kernel drop: NO_SOCKET",
      ext: {
        ...tcp.ext,
        events: [FlowEvent.DROP],
        kernelDropReason: 3,
        kernelDropReasonName: "NO_SOCKET",
        tcpFlagsSeen: -1,
        firstNs: 0,
        lastNs: 0,
      },
    },
  ],
  [
    "policy verdict denied by an explicit deny, with the policy named",
    {
      ...tcp,
      verdict: Verdict.DROPPED,
      dropReason: DropReason.POLICY_DENY,
      dropReasonDesc: DropReason.POLICY_DENY,
      isReply: false,
      eventType: 5,
      eventSubType: 0,
      traceObservationPoint: TraceObservationPoint.UNKNOWN_POINT,
      policy: {
        matchType: 2,
        ingressAllowedBy: [],
        egressAllowedBy: [],
        ingressDeniedBy: [
          {
            name: "deny-app3",
            namespace: "default",
            kind: "CiliumNetworkPolicy",
            labels: ["k8s:io.cilium.k8s.policy.derived-from=CiliumNetworkPolicy", "k8s:io.cilium.k8s.policy.name=deny-app3"],
            revision: 7,
          },
          { name: "cw", namespace: "", kind: "CiliumClusterwideNetworkPolicy", labels: [], revision: 2 ** 40 },
        ],
        egressDeniedBy: [],
      },
    },
  ],
  [
    "L7 HTTP response with latency",
    {
      ...tcp,
      type: FlowType.L7,
      eventType: 129,
      eventSubType: 0,
      summary: "",
      l7: {
        type: L7FlowType.RESPONSE,
        latencyNs: 1_250_000,
        http: { code: 403, method: "GET", url: "http://app1/restricted", protocol: "HTTP/1.1" },
      },
      policy: { matchType: 0, ingressAllowedBy: [], egressAllowedBy: [], ingressDeniedBy: [], egressDeniedBy: [] },
    },
  ],
  [
    "long and non-ASCII labels (nested lengths over 127 bytes)",
    { ...tcp, source: { ...web, labels: ["x".repeat(300), "équipe=réseau", "k=✓"] } },
  ],
];

function reference(f: FlowFacts, uuid: string) {
  const l4 =
    f.l4 === "TCP"
      ? { case: "TCP" as const, value: { sourcePort: f.sport, destinationPort: f.dport, flags: flags(f.tcpFlags) } }
      : f.l4 === "UDP"
        ? { case: "UDP" as const, value: { sourcePort: f.sport, destinationPort: f.dport } }
        : f.l4 === "ICMPv4"
          ? { case: "ICMPv4" as const, value: { type: f.sport, code: f.dport } }
          : { case: "ICMPv6" as const, value: { type: f.sport, code: f.dport } };
  const ep = (e: EndpointFacts) => ({ ID: e.id, identity: e.identity, namespace: e.namespace, podName: e.podName, labels: [...e.labels] });
  const e = f.ext;
  return create(FlowSchema, {
    time: timestampFromWallNs(f.timeNs),
    uuid,
    verdict: f.verdict,
    dropReason: f.dropReason,
    ...(f.ethSrc ? { ethernet: { source: f.ethSrc, destination: f.ethDst } } : {}),
    IP: { source: f.srcIp, destination: f.dstIp, ipVersion: f.ipVersion },
    l4: { protocol: l4 },
    source: ep(f.source),
    destination: ep(f.destination),
    Type: f.type,
    nodeName: f.nodeName,
    reply: f.isReply === true,
    eventType: { type: f.eventType, subType: f.eventSubType },
    trafficDirection: f.trafficDirection,
    traceObservationPoint: f.traceObservationPoint,
    dropReasonDesc: f.dropReasonDesc,
    ...(f.isReply !== undefined ? { isReply: f.isReply } : {}),
    ...(f.ifindex ? { interface: { index: f.ifindex, name: f.ifname } } : {}),
    cgroupId: BigInt(f.cgroupId),
    Summary: f.summary,
    ...(f.l7 ? { l7: { type: f.l7.type, latencyNs: BigInt(f.l7.latencyNs), record: { case: "http" as const, value: f.l7.http } } } : {}),
    ...(f.policy
      ? {
          policyMatchType: f.policy.matchType,
          ingressAllowedBy: f.policy.ingressAllowedBy.map(pol),
          egressAllowedBy: f.policy.egressAllowedBy.map(pol),
          ingressDeniedBy: f.policy.ingressDeniedBy.map(pol),
          egressDeniedBy: f.policy.egressDeniedBy.map(pol),
        }
      : {}),
    extensions: anyPack(
      FlowExtensionSchema,
      create(FlowExtensionSchema, {
        packets: BigInt(e.packets),
        bytes: BigInt(e.bytes),
        ...(e.firstNs ? { firstSeen: timestampFromWallNs(e.firstNs) } : {}),
        ...(e.lastNs ? { lastSeen: timestampFromWallNs(e.lastNs) } : {}),
        handshakeRttNs: BigInt(e.rttNs),
        retransmits: e.retransmits,
        pid: e.pid,
        comm: e.comm,
        flowEvents: e.events,
        kernelDropReason: e.kernelDropReason,
        kernelDropReasonName: e.kernelDropReasonName,
        ...(e.tcpFlagsSeen >= 0 ? { tcpFlagsSeen: flags(e.tcpFlagsSeen) } : {}),
      }),
    ),
  });
}

function pol(p: FlowPolicyRef) {
  return { name: p.name, namespace: p.namespace, kind: p.kind, labels: [...p.labels], revision: BigInt(p.revision) };
}

function flags(bits: number) {
  const names = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"] as const;
  return Object.fromEntries(names.map((n, i) => [n, (bits & (1 << i)) !== 0]));
}

function encode(f: FlowFacts, uuid: string, withExt = true): Buffer {
  const w = new ProtoWriter(16);
  writeFlowFields(w, f, uuid);
  if (withExt) writeExtensionField(w, f.ext);
  return w.finish();
}

describe("flow encoder", () => {
  it.each(cases)("%s decodes to what protobuf-es builds", (_name, f) => {
    const uuid = "0b7c6c4e-8c1a-4e39-9f3a-2f4d1f1d2a11";
    const ours = fromBinary(FlowSchema, encode(f, uuid));
    const ref = reference(f, uuid);
    expect(
      equals(FlowSchema, ours, ref),
      JSON.stringify({ ours, ref }, (_k, v) => (typeof v === "bigint" ? String(v) : v)),
    ).toBe(true);
    // And the sizes agree: nothing extra, nothing missing on the wire.
    expect(encode(f, uuid).length).toBe(toBinary(FlowSchema, ref).length);
  });

  it("leaves extensions out when asked to", () => {
    const flow = fromBinary(FlowSchema, encode(tcp, "u", false));
    expect(flow.extensions).toBeUndefined();
    expect(flow.Summary).toBe(tcp.summary);
  });

  it("wraps a flow into GetFlowsResponse with node name and time", () => {
    const w = new ProtoWriter();
    const at = w.begin(RESPONSE.flow);
    w.raw(encode(tcp, "u"));
    w.end(at);
    w.string(RESPONSE.nodeName, "node-a");
    writeTimestamp(w, RESPONSE.time, tcp.timeNs);
    const r = fromBinary(GetFlowsResponseSchema, w.finish());
    expect(r.nodeName).toBe("node-a");
    expect(r.responseTypes.case).toBe("flow");
    expect(r.time).toEqual(timestampFromWallNs(tcp.timeNs));
  });
});
