// flow.Flow and GetFlowsResponse bytes written straight from FlowFacts (the serving hot path:
// no message objects, no reflection). Field numbers are read from the generated descriptors, so
// the .proto files stay the one source of truth; encode.test.ts checks the bytes decode to what
// protobuf-es itself would build.
import type { DescMessage } from "@bufbuild/protobuf";
import { AnySchema, BoolValueSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  CiliumEventTypeSchema,
  EndpointSchema,
  EthernetSchema,
  FLOW_EXTENSION_TYPE_URL,
  FlowExtensionSchema,
  FlowSchema,
  GetFlowsResponseSchema,
  HTTPSchema,
  ICMPv4Schema,
  IPSchema,
  Layer4Schema,
  Layer7Schema,
  NetworkInterfaceSchema,
  PolicySchema,
  TCPFlagsSchema,
  TCPSchema,
  UDPSchema,
} from "@flowlens/proto";
import type { ProtoWriter } from "../wire/writer.js";
import type { EndpointFacts, ExtensionFacts, FlowFacts, L7Facts } from "./facts.js";
import type { FlowPolicyRef } from "./rule-table.js";

function numbers<const K extends string>(schema: DescMessage, names: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const name of names) {
    const f = schema.field[name];
    if (!f) throw new Error(`${schema.typeName} has no field ${name}: the encoder and the proto disagree`);
    out[name] = f.number;
  }
  return out;
}

const FLOW = numbers(FlowSchema, [
  "time",
  "verdict",
  "dropReason",
  "ethernet",
  "IP",
  "l4",
  "source",
  "destination",
  "Type",
  "nodeName",
  "reply",
  "eventType",
  "trafficDirection",
  "traceObservationPoint",
  "dropReasonDesc",
  "isReply",
  "interface",
  "uuid",
  "cgroupId",
  "Summary",
  "extensions",
  "policyMatchType",
  "ingressAllowedBy",
  "egressAllowedBy",
  "ingressDeniedBy",
  "egressDeniedBy",
  "l7",
]);
const TS = numbers(TimestampSchema, ["seconds", "nanos"]);
const ETH = numbers(EthernetSchema, ["source", "destination"]);
const IP = numbers(IPSchema, ["source", "destination", "ipVersion"]);
const L4 = numbers(Layer4Schema, ["TCP", "UDP", "ICMPv4", "ICMPv6"]);
const TCP = numbers(TCPSchema, ["sourcePort", "destinationPort", "flags"]);
const UDP = numbers(UDPSchema, ["sourcePort", "destinationPort"]);
const ICMP = numbers(ICMPv4Schema, ["type", "code"]); // ICMPv6 has the same shape
const FLAGS = numbers(TCPFlagsSchema, ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"]);
const EP = numbers(EndpointSchema, ["ID", "identity", "namespace", "labels", "podName"]);
const EVT = numbers(CiliumEventTypeSchema, ["type", "subType"]);
const IFACE = numbers(NetworkInterfaceSchema, ["index", "name"]);
const POLICY = numbers(PolicySchema, ["name", "namespace", "labels", "revision", "kind"]);
const L7 = numbers(Layer7Schema, ["type", "latencyNs", "http"]);
const HTTP = numbers(HTTPSchema, ["code", "method", "url", "protocol"]);
const BOOL = numbers(BoolValueSchema, ["value"]);
const ANY = numbers(AnySchema, ["typeUrl", "value"]);
const EXT = numbers(FlowExtensionSchema, [
  "packets",
  "bytes",
  "firstSeen",
  "lastSeen",
  "handshakeRttNs",
  "retransmits",
  "pid",
  "comm",
  "flowEvents",
  "kernelDropReason",
  "kernelDropReasonName",
  "tcpFlagsSeen",
]);
export const RESPONSE = numbers(GetFlowsResponseSchema, ["flow", "nodeName", "time"]);

/** Flag bits in TCPFlags field order (FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = header bits 0..7). */
const FLAG_FIELDS = [FLAGS.FIN, FLAGS.SYN, FLAGS.RST, FLAGS.PSH, FLAGS.ACK, FLAGS.URG, FLAGS.ECE, FLAGS.CWR];

export function writeTimestamp(w: ProtoWriter, field: number, wallNs: number): void {
  const at = w.begin(field);
  const seconds = Math.floor(wallNs / 1e9);
  w.uint(TS.seconds, seconds);
  w.uint(TS.nanos, Math.floor(wallNs - seconds * 1e9));
  w.end(at);
}

function writeFlags(w: ProtoWriter, field: number, bits: number): void {
  const at = w.begin(field);
  for (let i = 0; i < 8; i++) if (bits & (1 << i)) w.bool(FLAG_FIELDS[i], true);
  w.end(at);
}

function writeEndpoint(w: ProtoWriter, field: number, e: EndpointFacts): void {
  const at = w.begin(field);
  w.uint(EP.ID, e.id);
  w.uint(EP.identity, e.identity);
  w.string(EP.namespace, e.namespace);
  for (const l of e.labels) w.string(EP.labels, l);
  w.string(EP.podName, e.podName);
  w.end(at);
}

function writeL4(w: ProtoWriter, f: FlowFacts): void {
  if (f.l4 === "") return;
  const at = w.begin(FLOW.l4);
  const inner = w.begin(L4[f.l4]);
  if (f.l4 === "TCP") {
    w.uint(TCP.sourcePort, f.sport);
    w.uint(TCP.destinationPort, f.dport);
    writeFlags(w, TCP.flags, f.tcpFlags);
  } else if (f.l4 === "UDP") {
    w.uint(UDP.sourcePort, f.sport);
    w.uint(UDP.destinationPort, f.dport);
  } else {
    w.uint(ICMP.type, f.sport);
    w.uint(ICMP.code, f.dport);
  }
  w.end(inner);
  w.end(at);
}

function writePolicies(w: ProtoWriter, field: number, list: readonly FlowPolicyRef[]): void {
  for (const p of list) {
    const at = w.begin(field);
    w.string(POLICY.name, p.name);
    w.string(POLICY.namespace, p.namespace);
    for (const l of p.labels) w.string(POLICY.labels, l);
    w.uint(POLICY.revision, p.revision);
    w.string(POLICY.kind, p.kind);
    w.end(at);
  }
}

function writeL7(w: ProtoWriter, l7: L7Facts): void {
  const at = w.begin(FLOW.l7);
  w.uint(L7.type, l7.type);
  w.uint(L7.latencyNs, l7.latencyNs);
  const http = w.begin(L7.http);
  w.uint(HTTP.code, l7.http.code);
  w.string(HTTP.method, l7.http.method);
  w.string(HTTP.url, l7.http.url);
  w.string(HTTP.protocol, l7.http.protocol);
  w.end(http);
  w.end(at);
}

/** The fields of flow.Flow, extensions excepted (see writeExtensionField). */
export function writeFlowFields(w: ProtoWriter, f: FlowFacts, uuid: string): void {
  writeTimestamp(w, FLOW.time, f.timeNs);
  w.uint(FLOW.verdict, f.verdict);
  w.uint(FLOW.dropReason, f.dropReason);
  if (f.ethSrc || f.ethDst) {
    const at = w.begin(FLOW.ethernet);
    w.string(ETH.source, f.ethSrc);
    w.string(ETH.destination, f.ethDst);
    w.end(at);
  }
  const ip = w.begin(FLOW.IP);
  w.string(IP.source, f.srcIp);
  w.string(IP.destination, f.dstIp);
  w.uint(IP.ipVersion, f.ipVersion);
  w.end(ip);
  writeL4(w, f);
  writeEndpoint(w, FLOW.source, f.source);
  writeEndpoint(w, FLOW.destination, f.destination);
  w.uint(FLOW.Type, f.type);
  w.string(FLOW.nodeName, f.nodeName);
  w.bool(FLOW.reply, f.isReply === true);
  const evt = w.begin(FLOW.eventType);
  w.uint(EVT.type, f.eventType);
  w.uint(EVT.subType, f.eventSubType);
  w.end(evt);
  w.uint(FLOW.trafficDirection, f.trafficDirection);
  w.uint(FLOW.traceObservationPoint, f.traceObservationPoint);
  w.uint(FLOW.dropReasonDesc, f.dropReasonDesc);
  if (f.isReply !== undefined) {
    const at = w.begin(FLOW.isReply);
    w.bool(BOOL.value, f.isReply);
    w.end(at);
  }
  if (f.ifindex) {
    const at = w.begin(FLOW.interface);
    w.uint(IFACE.index, f.ifindex);
    w.string(IFACE.name, f.ifname);
    w.end(at);
  }
  w.uint(FLOW.cgroupId, f.cgroupId);
  w.string(FLOW.uuid, uuid);
  w.string(FLOW.Summary, f.summary);
  if (f.l7) writeL7(w, f.l7);
  const p = f.policy;
  if (p) {
    w.uint(FLOW.policyMatchType, p.matchType);
    writePolicies(w, FLOW.ingressAllowedBy, p.ingressAllowedBy);
    writePolicies(w, FLOW.egressAllowedBy, p.egressAllowedBy);
    writePolicies(w, FLOW.ingressDeniedBy, p.ingressDeniedBy);
    writePolicies(w, FLOW.egressDeniedBy, p.egressDeniedBy);
  }
}

/** Flow.extensions: google.protobuf.Any holding a flowlens.FlowExtension. */
export function writeExtensionField(w: ProtoWriter, e: ExtensionFacts): void {
  const any = w.begin(FLOW.extensions);
  w.string(ANY.typeUrl, FLOW_EXTENSION_TYPE_URL);
  const value = w.begin(ANY.value);
  w.uint(EXT.packets, e.packets);
  w.uint(EXT.bytes, e.bytes);
  if (e.firstNs) writeTimestamp(w, EXT.firstSeen, e.firstNs);
  if (e.lastNs) writeTimestamp(w, EXT.lastSeen, e.lastNs);
  w.uint(EXT.handshakeRttNs, e.rttNs);
  w.uint(EXT.retransmits, e.retransmits);
  w.uint(EXT.pid, e.pid);
  w.string(EXT.comm, e.comm);
  if (e.events.length) {
    const packed = w.begin(EXT.flowEvents);
    for (const ev of e.events) w.varint(ev);
    w.end(packed);
  }
  w.uint(EXT.kernelDropReason, e.kernelDropReason);
  w.string(EXT.kernelDropReasonName, e.kernelDropReasonName);
  if (e.tcpFlagsSeen >= 0) writeFlags(w, EXT.tcpFlagsSeen, e.tcpFlagsSeen);
  w.end(value);
  w.end(any);
}
