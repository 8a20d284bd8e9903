// The ClickHouse row of a Kafka record read straight from its protobuf bytes: only the fields the row
// uses are read, no flow.Flow object graph is built (protobuf-es' reflective decoding was the largest
// part of the ingester's time per flow). It answers only for well-formed records — every field of the
// wire type its declaration says, strings valid UTF-8, every message within its bounds, singular
// message fields once — and gives up (undefined) on anything else, so the caller takes the
// protobuf-es path for those: decoding errors, schema violations and dead-letter reasons stay exactly
// what they were. A test compares it with flowToRow(fromBinary(...)) over a corpus of flows.
import { isIP } from "node:net";
import type { DescMessage } from "@bufbuild/protobuf";
import { dateTimeFromSeconds, type FlowRow, flowEnumNames as names, TCP_FLAG_NAMES, workloadOf } from "@flowlens/clickhouse";
import { FlowExtensionSchema, FlowSchema } from "@flowlens/proto";
import { expect, GIVE_UP, GiveUp, LEN, other, Reader, VARINT } from "./wire-reader.js";

/** What the row takes from one Endpoint. */
interface EndpointPart {
  namespace: string;
  podName: string;
  labels: string[];
  identity: number;
  workloads: { name: string }[];
}

/** The fast path's result: the row, plus what the schema check needs. */
export interface WireRow {
  row: FlowRow;
  /** Timestamp.seconds (0 when missing, negative when negative). */
  seconds: number;
  hasTime: boolean;
  /** IP.ipVersion when the IP layer is present, else -1. */
  ipVersion: number;
}

const FLOW = FlowSchema;
const ENDPOINT = FlowSchema.field.source.message as DescMessage;
const WORKLOAD = ENDPOINT.field.workloads.message as DescMessage;
const TIMESTAMP = FlowSchema.field.time.message as DescMessage;
const IP = FlowSchema.field.IP.message as DescMessage;
const LAYER4 = FlowSchema.field.l4.message as DescMessage;
const TCP = LAYER4.field.TCP.message as DescMessage;
const TCP_FLAGS = TCP.field.flags.message as DescMessage;
const UDP = LAYER4.field.UDP.message as DescMessage;
const ICMP4 = LAYER4.field.ICMPv4.message as DescMessage;
const LAYER7 = FlowSchema.field.l7.message as DescMessage;
const DNS = LAYER7.field.dns.message as DescMessage;
const HTTP = LAYER7.field.http.message as DescMessage;
const KAFKA = LAYER7.field.kafka.message as DescMessage;
const IFACE = FlowSchema.field.interface.message as DescMessage;
const BOOL_VALUE = FlowSchema.field.isReply.message as DescMessage;
const ANY = FlowSchema.field.extensions.message as DescMessage;
const EXT = FlowExtensionSchema;
const L4_CASES = ["", "TCP", "UDP", "ICMPv4", "ICMPv6", "SCTP"] as const;

function endpoint(r: Reader, depth: number): EndpointPart {
  const e: EndpointPart = { namespace: "", podName: "", labels: [], identity: 0, workloads: [] };
  const outer = r.enter();
  while (r.pos < r.end) {
    const tag = r.tag();
    const no = tag >>> 3;
    const wt = tag & 7;
    if (no === 2 && wt === VARINT) e.identity = r.uint32();
    else if (no === 3 && wt === LEN) e.namespace = r.string();
    else if (no === 4 && wt === LEN) e.labels.push(r.string());
    else if (no === 5 && wt === LEN) e.podName = r.string();
    else if (no === 6 && wt === LEN) {
      let name = "";
      const o = r.enter();
      while (r.pos < r.end) {
        const t = r.tag();
        if (t >>> 3 === 1 && (t & 7) === LEN) name = r.string();
        else other(r, WORKLOAD, t >>> 3, t & 7, depth + 2);
      }
      r.leave(o);
      e.workloads.push({ name });
    } else other(r, ENDPOINT, no, wt, depth + 1);
  }
  r.leave(outer);
  return e;
}

// Flows of one batch share their second: the time text is made once per second.
let lastSeconds = -1;
let lastTime = "";

/** The row of a record value, or undefined when the record is not for the fast path (see above). */
export function wireRow(value: Uint8Array): WireRow | undefined {
  try {
    return read(value);
  } catch (e) {
    if (e instanceof GiveUp) return undefined;
    throw e;
  }
}

/** What read() gathers from one record's fields before they become a row. */
class RowParts {
  seconds = 0;
  nanos = 0;
  hasTime = false;
  uuid = "";
  nodeName = "";
  verdict = 0;
  dropReason = 0;
  type = 0;
  point = 0;
  direction = 0;
  ipVersion = -1;
  srcIp = "";
  dstIp = "";
  protocol = "";
  srcPort = 0;
  dstPort = 0;
  icmpType = 0;
  icmpCode = 0;
  readonly tcpFlags: string[] = [];
  src: EndpointPart | undefined = undefined;
  dst: EndpointPart | undefined = undefined;
  isReply = -1;
  iface = "";
  hasL7 = false;
  l7Type = 0;
  l7Latency = 0;
  httpMethod = "";
  httpUrl = "";
  httpCode = 0;
  httpProtocol = "";
  dnsQuery = "";
  dnsRcode = 0;
  readonly dnsQtypes: string[] = [];
  kafkaTopic = "";
  kafkaApiKey = "";
  packets = 0;
  bytes = 0;
  rtt = 0;
  retransmits = 0;
  readonly flowEvents: string[] = [];
  kernelDrop = "";
  pid = 0;
  comm = "";
  /** Singular message fields read so far, a bit each (a repeat would merge: not for the fast path). */
  private seen = 0;

  once(bit: number): void {
    if (this.seen & bit) throw GIVE_UP;
    this.seen |= bit;
  }
}

// Bits of RowParts.once, one per singular message field of flow.Flow the row reads.
const ONCE = { time: 1, ip: 2, l4: 4, tcpFlags: 8, source: 16, destination: 32, l7: 64, isReply: 128, iface: 256, extensions: 512 };

/** flow.Flow, field by field: the ones the row uses go to `p`, the others are checked and skipped. */
function read(input: Uint8Array): WireRow {
  const value = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const r = new Reader(value);
  const p = new RowParts();
  while (r.pos < r.end) {
    const tag = r.tag();
    const no = tag >>> 3;
    const wt = tag & 7;
    switch (no) {
      case 1:
        expect(wt, LEN);
        p.once(ONCE.time);
        readTime(r, p);
        break;
      case 34:
        expect(wt, LEN);
        p.uuid = r.string();
        break;
      case 2:
        expect(wt, VARINT);
        p.verdict = r.int32();
        break;
      case 5:
        expect(wt, LEN);
        p.once(ONCE.ip);
        readIp(r, p);
        break;
      case 6:
        expect(wt, LEN);
        p.once(ONCE.l4);
        readLayer4(r, p);
        break;
      case 8:
        expect(wt, LEN);
        p.once(ONCE.source);
        p.src = endpoint(r, 1);
        break;
      case 9:
        expect(wt, LEN);
        p.once(ONCE.destination);
        p.dst = endpoint(r, 1);
        break;
      case 10:
        expect(wt, VARINT);
        p.type = r.int32();
        break;
      case 11:
        expect(wt, LEN);
        p.nodeName = r.string();
        break;
      case 15:
        expect(wt, LEN);
        p.once(ONCE.l7);
        readLayer7(r, p);
        break;
      case 22:
        expect(wt, VARINT);
        p.direction = r.int32();
        break;
      case 24:
        expect(wt, VARINT);
        p.point = r.int32();
        break;
      case 25:
        expect(wt, VARINT);
        p.dropReason = r.int32();
        break;
      case 26:
        expect(wt, LEN);
        p.once(ONCE.isReply);
        readIsReply(r, p);
        break;
      case 28:
        expect(wt, LEN);
        p.once(ONCE.iface);
        readInterface(r, p);
        break;
      case 150000:
        expect(wt, LEN);
        p.once(ONCE.extensions);
        readExtensions(r, value, p);
        break;
      default:
        other(r, FLOW, no, wt, 0);
    }
  }
  return { row: toRow(p, value), seconds: p.seconds, hasTime: p.hasTime, ipVersion: p.ipVersion };
}

/** google.protobuf.Timestamp time = 1. */
function readTime(r: Reader, p: RowParts): void {
  p.hasTime = true;
  const o = r.enter();
  while (r.pos < r.end) {
    const t = r.tag();
    if (t === 0x08) {
      r.varint();
      // int64: negative or beyond 2^53 only matters to the schema check, which refuses both
      p.seconds = r.hi & 0x80000000 ? -1 : r.hi * 4294967296 + r.lo;
    } else if (t === 0x10) p.nanos = r.int32();
    else other(r, TIMESTAMP, t >>> 3, t & 7, 2);
  }
  r.leave(o);
}

/** IP IP = 5. */
function readIp(r: Reader, p: RowParts): void {
  p.ipVersion = 0;
  const o = r.enter();
  while (r.pos < r.end) {
    const t = r.tag();
    if (t === 0x0a) p.srcIp = r.string();
    else if (t === 0x12) p.dstIp = r.string();
    else if (t === 0x18) p.ipVersion = r.int32();
    else other(r, IP, t >>> 3, t & 7, 2);
  }
  r.leave(o);
}

/** Layer4 l4 = 6: a oneof of TCP, UDP, ICMPv4, ICMPv6, SCTP. */
function readLayer4(r: Reader, p: RowParts): void {
  const o = r.enter();
  while (r.pos < r.end) {
    const t = r.tag();
    const c = t >>> 3;
    if (c >= 1 && c <= 5) {
      expect(t & 7, LEN);
      if (p.protocol !== "") throw GIVE_UP; // a second oneof member replaces the first: not here
      p.protocol = L4_CASES[c];
      readLayer4Case(r, p, c);
    } else other(r, LAYER4, c, t & 7, 2);
  }
  r.leave(o);
}

/** One Layer4 member (`c` its field number): ports, or ICMP type and code; TCP's flags. */
function readLayer4Case(r: Reader, p: RowParts, c: number): void {
  const o = r.enter();
  while (r.pos < r.end) {
    const u = r.tag();
    if (c === 3 || c === 4) {
      if (u === 0x08) p.icmpType = r.uint32();
      else if (u === 0x10) p.icmpCode = r.uint32();
      else other(r, ICMP4, u >>> 3, u & 7, 3);
    } else if (u === 0x08) p.srcPort = r.uint32();
    else if (u === 0x10) p.dstPort = r.uint32();
    else if (c === 1 && u === 0x1a) readTcpFlags(r, p);
    else other(r, c === 1 ? TCP : UDP, u >>> 3, u & 7, 3);
  }
  r.leave(o);
}

/** TCP.flags, as the row's flag names in TCP_FLAG_NAMES order. */
function readTcpFlags(r: Reader, p: RowParts): void {
  if (p.tcpFlags.length) throw GIVE_UP;
  p.once(ONCE.tcpFlags);
  const flags = new Array<boolean>(10).fill(false);
  const o = r.enter();
  while (r.pos < r.end) {
    const v = r.tag();
    const fno = v >>> 3;
    if (fno >= 1 && fno <= 9 && (v & 7) === VARINT) flags[fno] = r.bool();
    else other(r, TCP_FLAGS, fno, v & 7, 4);
  }
  r.leave(o);
  // TCPFlags field numbers: FIN 1, SYN 2, RST 3, PSH 4, ACK 5, URG 6, ECE 7, CWR 8, NS 9
  for (const name of TCP_FLAG_NAMES) if (flags[TCP_FLAG_NUMBER[name]]) p.tcpFlags.push(name);
}

/** Layer7 l7 = 15: type, latency, and one record (dns 100, http 101, kafka 102). */
function readLayer7(r: Reader, p: RowParts): void {
  p.hasL7 = true;
  let record = 0;
  const o = r.enter();
  while (r.pos < r.end) {
    const t = r.tag();
    const c = t >>> 3;
    if (t === 0x08) p.l7Type = r.int32();
    else if (t === 0x10) p.l7Latency = r.uint64();
    else if (c >= 100 && c <= 102) {
      expect(t & 7, LEN);
      if (record !== 0) throw GIVE_UP;
      record = c;
      readLayer7Record(r, p, c);
    } else other(r, LAYER7, c, t & 7, 2);
  }
  r.leave(o);
}

function readLayer7Record(r: Reader, p: RowParts, c: number): void {
  const o = r.enter();
  while (r.pos < r.end) {
    const u = r.tag();
    if (c === 100) {
      if (u === 0x0a) p.dnsQuery = r.string();
      else if (u === 0x30) p.dnsRcode = r.uint32();
      else if (u === 0x3a) p.dnsQtypes.push(r.string());
      else other(r, DNS, u >>> 3, u & 7, 3);
    } else if (c === 101) {
      if (u === 0x08) p.httpCode = r.uint32();
      else if (u === 0x12) p.httpMethod = r.string();
      else if (u === 0x1a) p.httpUrl = r.string();
      else if (u === 0x22) p.httpProtocol = r.string();
      else other(r, HTTP, u >>> 3, u & 7, 3);
    } else if (u === 0x1a) p.kafkaApiKey = r.string();
    else if (u === 0x2a) p.kafkaTopic = r.string();
    else other(r, KAFKA, u >>> 3, u & 7, 3);
  }
  r.leave(o);
}

/** google.protobuf.BoolValue is_reply = 26. */
function readIsReply(r: Reader, p: RowParts): void {
  p.isReply = 0;
  const o = r.enter();
  while (r.pos < r.end) {
    const t = r.tag();
    if (t === 0x08) p.isReply = r.bool() ? 1 : 0;
    else other(r, BOOL_VALUE, t >>> 3, t & 7, 2);
  }
  r.leave(o);
}

/** NetworkInterface interface = 28: its name. */
function readInterface(r: Reader, p: RowParts): void {
  const o = r.enter();
  while (r.pos < r.end) {
    const t = r.tag();
    if (t === 0x12) p.iface = r.string();
    else other(r, IFACE, t >>> 3, t & 7, 2);
  }
  r.leave(o);
}

/** google.protobuf.Any extensions = 150000: our FlowExtension when its type URL names it. */
function readExtensions(r: Reader, value: Buffer, p: RowParts): void {
  let typeUrl = "";
  let from = -1;
  let to = -1;
  const o = r.enter();
  while (r.pos < r.end) {
    const t = r.tag();
    if (t === 0x0a) typeUrl = r.string();
    else if (t === 0x12) {
      const n = r.length();
      from = r.pos;
      to = r.pos + n;
      r.pos = to;
    } else other(r, ANY, t >>> 3, t & 7, 2);
  }
  r.leave(o);
  if (typeUrl === "") return;
  const slash = typeUrl.lastIndexOf("/");
  const name = slash >= 0 ? typeUrl.substring(slash + 1) : typeUrl;
  if (name === "") throw GIVE_UP; // protobuf-es: invalid type url
  if (name !== EXT.typeName) return;
  // The extension's own message: a reader over the value bytes, as anyUnpack decodes it.
  readFlowExtension(new Reader(from < 0 ? Buffer.alloc(0) : value.subarray(from, to)), p);
}

/** flowlens.FlowExtension: counters, process, flow events, kernel drop reason. */
function readFlowExtension(x: Reader, p: RowParts): void {
  while (x.pos < x.end) {
    const t = x.tag();
    const xno = t >>> 3;
    if (t === 0x08) p.packets = x.uint64();
    else if (t === 0x10) p.bytes = x.uint64();
    else if (t === 0x28) p.rtt = x.uint64();
    else if (t === 0x30) p.retransmits = x.uint32();
    else if (t === 0x38) p.pid = x.uint32();
    else if (t === 0x42) p.comm = x.string();
    else if (t === 0x48) p.flowEvents.push(names.flowEvent(x.int32()));
    else if (t === 0x4a) {
      const o2 = x.enter(); // packed
      while (x.pos < x.end) p.flowEvents.push(names.flowEvent(x.int32()));
      x.leave(o2);
    } else if (t === 0x5a) p.kernelDrop = x.string();
    else other(x, EXT, xno, t & 7, 0);
  }
}

/** The ClickHouse row of what read() gathered; `value` is stored as flow_pb. */
function toRow(p: RowParts, value: Buffer): FlowRow {
  if (p.seconds !== lastSeconds) {
    lastSeconds = p.seconds;
    lastTime = dateTimeFromSeconds(p.seconds);
  }
  const { src, dst, hasL7 } = p;
  return {
    time: lastTime,
    time_ns: p.nanos,
    uuid: p.uuid,
    node_name: p.nodeName,
    verdict: names.verdict(p.verdict),
    drop_reason: p.dropReason ? names.dropReason(p.dropReason) : "",
    type: names.flowType(p.type),
    observation_point: names.point(p.point),
    ip_version: p.ipVersion === 1 ? 4 : p.ipVersion === 2 ? 6 : 0,
    src_ip: p.srcIp,
    dst_ip: p.dstIp,
    src_port: p.srcPort,
    dst_port: p.dstPort,
    protocol: p.protocol,
    icmp_type: p.icmpType,
    icmp_code: p.icmpCode,
    tcp_flags: p.tcpFlags,
    src_namespace: src?.namespace ?? "",
    src_pod: src?.podName ?? "",
    src_workload: workloadOf(src),
    src_labels: src?.labels ?? [],
    src_identity: src?.identity ?? 0,
    dst_namespace: dst?.namespace ?? "",
    dst_pod: dst?.podName ?? "",
    dst_workload: workloadOf(dst),
    dst_labels: dst?.labels ?? [],
    dst_identity: dst?.identity ?? 0,
    traffic_direction: names.direction(p.direction),
    is_reply: p.isReply,
    interface: p.iface,
    packets: p.packets,
    bytes: p.bytes,
    rtt_ns: p.rtt,
    retransmits: p.retransmits,
    flow_events: p.flowEvents,
    kernel_drop_reason: p.kernelDrop,
    pid: p.pid,
    comm: p.comm,
    l7_type: hasL7 ? names.l7Type(p.l7Type) : "",
    l7_latency_ns: hasL7 ? p.l7Latency : 0,
    http_method: p.httpMethod,
    http_url: p.httpUrl,
    http_code: p.httpCode,
    http_protocol: p.httpProtocol,
    dns_query: p.dnsQuery,
    dns_rcode: p.dnsRcode,
    dns_qtypes: p.dnsQtypes,
    kafka_topic: p.kafkaTopic,
    kafka_api_key: p.kafkaApiKey,
    flow_pb: value.toString("base64"),
  };
}

const TCP_FLAG_NUMBER: Record<(typeof TCP_FLAG_NAMES)[number], number> = {
  FIN: 1,
  SYN: 2,
  RST: 3,
  PSH: 4,
  ACK: 5,
  URG: 6,
  ECE: 7,
  CWR: 8,
  NS: 9,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_SECONDS = 4_294_967_295;

/** Whether a fast-path row passes the schema check (record.ts' schemaViolation, same rules). */
export function wireRowValid(w: WireRow): boolean {
  const { row } = w;
  if (!row.uuid || !UUID.test(row.uuid)) return false;
  if (!w.hasTime || w.seconds <= 0 || w.seconds > MAX_SECONDS) return false;
  if (row.time_ns < 0 || row.time_ns > 999_999_999) return false;
  if (w.ipVersion >= 0) {
    const want = w.ipVersion === 1 ? 4 : w.ipVersion === 2 ? 6 : 0;
    for (const addr of [row.src_ip, row.dst_ip]) {
      const v = isIP(addr);
      if (v === 0 || (want !== 0 && v !== want)) return false;
    }
  }
  return true;
}
