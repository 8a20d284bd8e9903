// flow.Flow → one row of flowlens.flows (a plain object for JSONEachRow inserts).
import type { DescEnum } from "@bufbuild/protobuf";
import { toBinary } from "@bufbuild/protobuf";
import {
  DropReasonSchema,
  type Endpoint,
  type Flow,
  FlowEventSchema,
  FlowSchema,
  FlowTypeSchema,
  getFlowExtension,
  L7FlowTypeSchema,
  TraceObservationPointSchema,
  TrafficDirectionSchema,
  VerdictSchema,
} from "@flowlens/proto";

/** One row of flowlens.flows; keys and types match FLOW_COLUMNS in schema.ts. */
export interface FlowRow {
  time: string;
  time_ns: number;
  uuid: string;
  node_name: string;
  verdict: string;
  drop_reason: string;
  type: string;
  observation_point: string;
  ip_version: number;
  src_ip: string;
  dst_ip: string;
  src_port: number;
  dst_port: number;
  protocol: string;
  icmp_type: number;
  icmp_code: number;
  tcp_flags: string[];
  src_namespace: string;
  src_pod: string;
  src_workload: string;
  src_labels: string[];
  src_identity: number;
  dst_namespace: string;
  dst_pod: string;
  dst_workload: string;
  dst_labels: string[];
  dst_identity: number;
  traffic_direction: string;
  /** 1 reply, 0 not a reply, -1 unknown. */
  is_reply: number;
  interface: string;
  packets: number;
  bytes: number;
  rtt_ns: number;
  retransmits: number;
  flow_events: string[];
  kernel_drop_reason: string;
  pid: number;
  comm: string;
  l7_type: string;
  l7_latency_ns: number;
  http_method: string;
  http_url: string;
  http_code: number;
  http_protocol: string;
  dns_query: string;
  dns_rcode: number;
  dns_qtypes: string[];
  kafka_topic: string;
  kafka_api_key: string;
  /** The whole flow, protobuf binary, base64. */
  flow_pb: string;
}

function enumNames(desc: DescEnum, stripPrefix = ""): (n: number) => string {
  const names = new Map(desc.values.map((v) => [v.number, v.name.startsWith(stripPrefix) ? v.name.slice(stripPrefix.length) : v.name]));
  return (n) => names.get(n) ?? String(n);
}

// Proto enum names as Hubble prints them ("FORWARDED", "POLICY_DENIED", "L3_L4", "INGRESS").
const verdictName = enumNames(VerdictSchema);
const dropReasonName = enumNames(DropReasonSchema);
const flowTypeName = enumNames(FlowTypeSchema);
const pointName = enumNames(TraceObservationPointSchema);
const directionName = enumNames(TrafficDirectionSchema);
const l7TypeName = enumNames(L7FlowTypeSchema);
const flowEventName = enumNames(FlowEventSchema, "FLOW_EVENT_");

/** The enum names the row's columns hold, for code that builds rows without a decoded Flow (the ingester). */
export const flowEnumNames = {
  verdict: verdictName,
  dropReason: dropReasonName,
  flowType: flowTypeName,
  point: pointName,
  direction: directionName,
  l7Type: l7TypeName,
  flowEvent: flowEventName,
} as const;

/** tcp_flags lists the set flags in this order. */
export const TCP_FLAG_NAMES = ["SYN", "ACK", "FIN", "RST", "PSH", "URG", "ECE", "CWR", "NS"] as const;

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** 'YYYY-MM-DD hh:mm:ss' (UTC) for whole seconds since the epoch. */
export function dateTimeFromSeconds(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

/** The endpoint's workload: its first workload name, else its app label, else its pod name. */
export function workloadOf(ep: (Pick<Endpoint, "labels" | "podName"> & { workloads: readonly { name: string }[] }) | undefined): string {
  if (!ep) return "";
  if (ep.workloads.length > 0 && ep.workloads[0].name) return ep.workloads[0].name;
  for (const label of ep.labels) {
    // labels are "key=value", optionally with a source prefix: "k8s:key=value"
    const eq = label.indexOf("=");
    if (eq < 0) continue;
    const key = label.slice(label.lastIndexOf(":", eq) + 1, eq);
    if (key === "app" || key === "app.kubernetes.io/name") return label.slice(eq + 1);
  }
  if (ep.podName) return ep.podName;
  // not a pod: the identity's reserved or CIDR label (reserved:world, reserved:host, cidr:10.0.0.0/8) names it,
  // so the rollups (which keep no IPs) still tell the world, the host and CIDR peers apart
  return ep.labels.find((l) => /^(reserved|cidr|fqdn):/.test(l)) ?? "";
}

/**
 * The row for one flow. `encoded` is the flow's protobuf bytes when the caller already has them (the
 * ingester reads them from Kafka); otherwise the flow is encoded here.
 */
export function flowToRow(flow: Flow, encoded?: Uint8Array): FlowRow {
  const seconds = flow.time ? Number(flow.time.seconds) : 0;
  const ext = getFlowExtension(flow);
  const l4 = flow.l4?.protocol;
  const l7 = flow.l7;
  let srcPort = 0;
  let dstPort = 0;
  let icmpType = 0;
  let icmpCode = 0;
  const tcpFlags: string[] = [];
  switch (l4?.case) {
    case "TCP": {
      srcPort = l4.value.sourcePort;
      dstPort = l4.value.destinationPort;
      const f = l4.value.flags;
      if (f) for (const name of TCP_FLAG_NAMES) if (f[name]) tcpFlags.push(name);
      break;
    }
    case "UDP":
    case "SCTP":
      srcPort = l4.value.sourcePort;
      dstPort = l4.value.destinationPort;
      break;
    case "ICMPv4":
    case "ICMPv6":
      icmpType = l4.value.type;
      icmpCode = l4.value.code;
      break;
  }
  const ipVersion = flow.IP?.ipVersion ?? 0;
  const http = l7?.record.case === "http" ? l7.record.value : undefined;
  const dns = l7?.record.case === "dns" ? l7.record.value : undefined;
  const kafka = l7?.record.case === "kafka" ? l7.record.value : undefined;
  return {
    time: dateTimeFromSeconds(seconds),
    time_ns: flow.time?.nanos ?? 0,
    uuid: flow.uuid,
    node_name: flow.nodeName,
    verdict: verdictName(flow.verdict),
    drop_reason: flow.dropReasonDesc ? dropReasonName(flow.dropReasonDesc) : "",
    type: flowTypeName(flow.Type),
    observation_point: pointName(flow.traceObservationPoint),
    ip_version: ipVersion === 1 ? 4 : ipVersion === 2 ? 6 : 0,
    src_ip: flow.IP?.source ?? "",
    dst_ip: flow.IP?.destination ?? "",
    src_port: srcPort,
    dst_port: dstPort,
    protocol: l4?.case ?? "",
    icmp_type: icmpType,
    icmp_code: icmpCode,
    tcp_flags: tcpFlags,
    src_namespace: flow.source?.namespace ?? "",
    src_pod: flow.source?.podName ?? "",
    src_workload: workloadOf(flow.source),
    src_labels: flow.source?.labels ?? [],
    src_identity: flow.source?.identity ?? 0,
    dst_namespace: flow.destination?.namespace ?? "",
    dst_pod: flow.destination?.podName ?? "",
    dst_workload: workloadOf(flow.destination),
    dst_labels: flow.destination?.labels ?? [],
    dst_identity: flow.destination?.identity ?? 0,
    traffic_direction: directionName(flow.trafficDirection),
    is_reply: flow.isReply === undefined ? -1 : flow.isReply ? 1 : 0,
    interface: flow.interface?.name ?? "",
    packets: ext ? Number(ext.packets) : 0,
    bytes: ext ? Number(ext.bytes) : 0,
    rtt_ns: ext ? Number(ext.handshakeRttNs) : 0,
    retransmits: ext?.retransmits ?? 0,
    flow_events: ext ? ext.flowEvents.map(flowEventName) : [],
    kernel_drop_reason: ext?.kernelDropReasonName ?? "",
    pid: ext?.pid ?? 0,
    comm: ext?.comm ?? "",
    l7_type: l7 ? l7TypeName(l7.type) : "",
    l7_latency_ns: l7 ? Number(l7.latencyNs) : 0,
    http_method: http?.method ?? "",
    http_url: http?.url ?? "",
    http_code: http?.code ?? 0,
    http_protocol: http?.protocol ?? "",
    dns_query: dns?.query ?? "",
    dns_rcode: dns?.rcode ?? 0,
    dns_qtypes: dns?.qtypes ?? [],
    kafka_topic: kafka?.topic ?? "",
    kafka_api_key: kafka?.apiKey ?? "",
    flow_pb: Buffer.from(encoded ?? toBinary(FlowSchema, flow)).toString("base64"),
  };
}
