// Filter-language cases for the end-to-end test: each expression's SQL result must equal either the live
// evaluator's result for equivalent FlowFilters or, for what FlowFilters cannot say (LIKE, ranges, NOT IN), a listed set.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { DropReason, type Flow, type FlowFilterSchema, FlowSchema, TrafficDirection, Verdict } from "@flowlens/proto";

type FilterInit = MessageInitShape<typeof FlowFilterSchema>;

export interface ExpressionCase {
  text: string;
  /** The same selection as Hubble FlowFilters, run by the live evaluator over every stored flow. */
  live?: { whitelist: FilterInit[]; blacklist?: FilterInit[] };
  /** The uuids it selects, when FlowFilters cannot express it. */
  uuids?: string[];
}

const T = Date.UTC(2026, 0, 15, 13, 0, 0);

/** Flows added beside the case tables' ones: v4, v6 (a prefix ending inside a hex digit), IPv4-mapped v6, HTTP, DNS, a "_" in a pod name. */
export const EXPRESSION_FLOWS: Flow[] = [
  create(FlowSchema, {
    uuid: "x-v4",
    time: timestampFromMs(T),
    verdict: Verdict.FORWARDED,
    IP: { source: "10.1.2.3", destination: "192.168.7.9", ipVersion: 1 },
    l4: { protocol: { case: "TCP", value: { sourcePort: 40000, destinationPort: 443, flags: { SYN: true } } } },
    source: { namespace: "shop", podName: "cart_v1-abc", labels: ["k8s:app=cart", "k8s:tier=web"], identity: 12345 },
    destination: { namespace: "shop", podName: "pay-1", labels: ["k8s:app=pay"] },
    trafficDirection: TrafficDirection.EGRESS,
    isReply: false,
    l7: { record: { case: "http", value: { method: "GET", code: 201, url: "https://pay.shop/api/v2/charge?id=1" } } },
  }),
  create(FlowSchema, {
    uuid: "x-v6",
    time: timestampFromMs(T + 1),
    verdict: Verdict.DROPPED,
    dropReasonDesc: DropReason.POLICY_DENIED,
    IP: { source: "fd00:ab::5", destination: "2001:db8:8000::1", ipVersion: 2 },
    l4: { protocol: { case: "UDP", value: { sourcePort: 5353, destinationPort: 53 } } },
    source: { namespace: "kube-system", podName: "coredns-1", labels: ["k8s:app=dns"] },
    destination: { namespace: "default", podName: "web-1", labels: ["k8s:app=web"] },
    trafficDirection: TrafficDirection.INGRESS,
    l7: { record: { case: "dns", value: { query: "api.example.com.", rcode: 3 } } },
  }),
  create(FlowSchema, {
    uuid: "x-v6b",
    time: timestampFromMs(T + 2),
    verdict: Verdict.AUDIT,
    IP: { source: "2001:db8:7fff::1", destination: "fe80::1", ipVersion: 2 },
    l4: { protocol: { case: "ICMPv6", value: { type: 128 } } },
    source: { namespace: "shop", podName: "cartXv1-zzz" },
    isReply: true,
  }),
  create(FlowSchema, {
    uuid: "x-mapped",
    time: timestampFromMs(T + 3),
    IP: { source: "::ffff:10.9.9.9", destination: "::ffff:192.168.7.1", ipVersion: 2 },
  }),
];

export const expressionCases: ExpressionCase[] = [
  { text: "source_ip = 10.0.0.0/8", live: { whitelist: [{ sourceIp: ["10.0.0.0/8"] }] } },
  { text: "destination_ip = 2001:db8:8000::/33", live: { whitelist: [{ destinationIp: ["2001:db8:8000::/33"] }] } },
  {
    text: "ip = 2001:db8:8000::/33",
    live: { whitelist: [{ sourceIp: ["2001:db8:8000::/33"] }, { destinationIp: ["2001:db8:8000::/33"] }] },
  },
  { text: "ip = 2001:db8::/32", live: { whitelist: [{ sourceIp: ["2001:db8::/32"] }, { destinationIp: ["2001:db8::/32"] }] } },
  { text: "ip = 0.0.0.0/0", live: { whitelist: [{ sourceIp: ["0.0.0.0/0"] }, { destinationIp: ["0.0.0.0/0"] }] } },
  { text: "source_ip = ::/0", live: { whitelist: [{ sourceIp: ["::/0"] }] } },
  { text: "destination_ip = 192.168.0.0/16", live: { whitelist: [{ destinationIp: ["192.168.0.0/16"] }] } },
  { text: "source_ip = ::ffff:10.0.0.0/104", live: { whitelist: [{ sourceIp: ["::ffff:10.0.0.0/104"] }] } },
  { text: "source_ip = 10.9.9.9", live: { whitelist: [{ sourceIp: ["10.9.9.9"] }] } },
  { text: "source_ip IN (fd00:ab:0::5, 10.1.2.3)", live: { whitelist: [{ sourceIp: ["fd00:ab::5", "10.1.2.3"] }] } },
  { text: "source_pod LIKE 'cart%'", uuids: ["x-v4", "x-v6b"] },
  { text: "source_pod = shop/cart_v1-abc", uuids: ["x-v4"] },
  { text: "source_pod = 'cart_v1-abc' AND source_namespace != default", uuids: ["x-v4"] },
  { text: "http_path ~ '^/api/v[0-9]+/'", live: { whitelist: [{ httpPath: ["^/api/v[0-9]+/"] }] } },
  { text: "http_code >= 200 AND http_code < 300", uuids: ["x-v4"] },
  { text: "http_url LIKE '%charge%'", uuids: ["x-v4"] },
  { text: "http_method = get", live: { whitelist: [{ httpMethod: ["GET"] }] } },
  { text: "NOT verdict IN (FORWARDED, AUDIT)", live: { whitelist: [], blacklist: [{ verdict: [Verdict.FORWARDED, Verdict.AUDIT] }] } },
  { text: "label = 'app=cart' AND source_label = 'tier in (web)'", uuids: ["x-v4"] },
  {
    text: "namespace != kube-system AND protocol = udp",
    live: { whitelist: [{ protocol: ["udp"] }], blacklist: [{ sourcePod: ["kube-system/"] }, { destinationPod: ["kube-system/"] }] },
  },
  { text: "dns_query ~ 'example\\\\.com'", live: { whitelist: [{ dnsQuery: ["example\\.com"] }] } },
  { text: "dns_rcode = 3", uuids: ["x-v6"] },
  { text: "drop_reason = POLICY_DENIED", live: { whitelist: [{ dropReasonDesc: [DropReason.POLICY_DENIED] }] } },
  {
    text: "drop_reason = 133 OR verdict = 4",
    live: { whitelist: [{ dropReasonDesc: [DropReason.POLICY_DENIED] }, { verdict: [Verdict.AUDIT] }] },
  },
  { text: "tcp_flags IN (syn, FIN)", live: { whitelist: [{ tcpFlags: [{ SYN: true }] }, { tcpFlags: [{ FIN: true }] }] } },
  { text: "is_reply = false", live: { whitelist: [{ reply: [false] }] } },
  { text: "is_reply = true", live: { whitelist: [{ reply: [true] }] } },
  {
    text: "port = 53 OR port = 443",
    live: { whitelist: [{ sourcePort: ["53", "443"] }, { destinationPort: ["53", "443"] }] },
  },
  {
    text: "port NOT IN (53, 443) AND protocol IN (tcp, udp)",
    live: { whitelist: [{ protocol: ["tcp", "udp"] }], blacklist: [{ sourcePort: ["53", "443"] }, { destinationPort: ["53", "443"] }] },
  },
  { text: "traffic_direction = ingress", live: { whitelist: [{ trafficDirection: [TrafficDirection.INGRESS] }] } },
  { text: "ip_version = 6", live: { whitelist: [{ ipVersion: [2] }] } },
  { text: "source_identity IN (12345, 1)", live: { whitelist: [{ sourceIdentity: [12345, 1] }] } },
  { text: "uuid = x-v4 OR uuid = 'x-v6'", uuids: ["x-v4", "x-v6"] },
  {
    text: "protocol = icmp AND NOT (source_pod = 'shop/' OR source_namespace = shop AND is_reply = false)",
    live: { whitelist: [{ protocol: ["icmp"] }], blacklist: [{ sourcePod: ["shop/"], reply: [false] }] },
  },
  { text: "source_namespace = shop AND NOT is_reply = true", uuids: ["x-v4"] },
];
