// The ClickHouse row of a Kafka record read straight from its protobuf bytes: only the fields the row
// uses are read, no flow.Flow object graph is built (protobuf-es' reflective decoding was the largest
// part of the ingester's time per flow). It answers only for well-formed records — every field of the
// wire type its declaration says, strings valid UTF-8, every message within its bounds, singular
// message fields once — and gives up (undefined) on anything else, so the caller takes the
// protobuf-es path for those: decoding errors, schema violations and dead-letter reasons stay exactly
// what they were. A test compares it with flowToRow(fromBinary(...)) over a corpus of flows.
import { isUtf8 } from "node:buffer";
import { isIP } from "node:net";
import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { dateTimeFromSeconds, type FlowRow, flowEnumNames as names, TCP_FLAG_NAMES, workloadOf } from "@flowlens/clickhouse";
import { FlowExtensionSchema, FlowSchema } from "@flowlens/proto";

/** Thrown inside the reader: the record is not one this fast path answers for. */
class GiveUp extends Error {}
const GIVE_UP = new GiveUp("not for the fast path");

const VARINT = 0;
const BIT64 = 1;
const LEN = 2;
const BIT32 = 5;
const RECURSION_LIMIT = 100; // protobuf-es' default

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
// Buffer's native Latin-1 slice (undocumented, in every Node release): for ASCII it is the UTF-8 text.
const latin1 = (b: Buffer, from: number, to: number): string =>
  (b as Buffer & { latin1Slice(s: number, e: number): string }).latin1Slice(from, to);

/** A cursor over one message's bytes; `end` is the current message's end. */
class Reader {
  pos = 0;
  end = 0;
  /** The last varint64's halves (unsigned 32-bit each). */
  lo = 0;
  hi = 0;
  constructor(readonly buf: Buffer) {
    this.end = buf.length;
  }

  /** A varint of up to 10 bytes (protobuf's varint64 algorithm); sets lo/hi. */
  varint(): void {
    const b = this.buf;
    let lo = 0;
    let hi = 0;
    let x: number;
    for (let shift = 0; shift < 28; shift += 7) {
      x = b[this.pos++];
      lo |= (x & 0x7f) << shift;
      if ((x & 0x80) === 0) {
        this.done(lo, 0);
        return;
      }
    }
    x = b[this.pos++];
    lo |= (x & 0x0f) << 28;
    hi = (x & 0x70) >> 4;
    if ((x & 0x80) === 0) {
      this.done(lo, hi);
      return;
    }
    for (let shift = 3; shift <= 31; shift += 7) {
      x = b[this.pos++];
      hi |= (x & 0x7f) << shift;
      if ((x & 0x80) === 0) {
        this.done(lo, hi);
        return;
      }
    }
    throw GIVE_UP;
  }

  private done(lo: number, hi: number): void {
    if (this.pos > this.end) throw GIVE_UP;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /** A field tag as protobuf-es reads one: at most 5 bytes, within 32 bits, field number > 0. */
  tag(): number {
    const start = this.pos;
    this.varint();
    const n = this.pos - start;
    if (n > 5 || (n === 5 && this.buf[this.pos - 1] > 0x0f) || this.lo >>> 3 === 0) throw GIVE_UP;
    return this.lo;
  }

  uint32(): number {
    this.varint();
    return this.lo;
  }

  int32(): number {
    this.varint();
    return this.lo | 0;
  }

  bool(): boolean {
    this.varint();
    return this.lo !== 0 || this.hi !== 0;
  }

  /** An unsigned 64-bit varint as a number (rounded as Number(bigint) rounds). */
  uint64(): number {
    this.varint();
    return this.hi * 4294967296 + this.lo;
  }

  /** The length of a length-delimited field; moves nothing past it. */
  length(): number {
    const start = this.pos;
    this.varint();
    if (this.pos - start > 5 || this.hi !== 0) throw GIVE_UP;
    if (this.pos + this.lo > this.end) throw GIVE_UP;
    return this.lo;
  }

  string(): string {
    const n = this.length();
    const b = this.buf;
    const from = this.pos;
    this.pos += n;
    let ascii = true;
    for (let i = from; i < from + n; i++)
      if (b[i] > 0x7f) {
        ascii = false;
        break;
      }
    if (ascii) return n === 0 ? "" : latin1(b, from, from + n);
    try {
      return strictUtf8.decode(b.subarray(from, from + n));
    } catch {
      throw GIVE_UP;
    }
  }

  /** Skips a string field, checking that it is UTF-8 as protobuf-es would decode it. */
  skipString(): void {
    const n = this.length();
    const b = this.buf;
    const from = this.pos;
    this.pos += n;
    for (let i = from; i < from + n; i++)
      if (b[i] > 0x7f) {
        if (!isUtf8(b.subarray(from, from + n))) throw GIVE_UP;
        return;
      }
  }

  /** Enters a length-delimited message; returns the end to restore with leave(). */
  enter(): number {
    const n = this.length();
    const outer = this.end;
    this.end = this.pos + n;
    return outer;
  }

  leave(outer: number): void {
    if (this.pos !== this.end) throw GIVE_UP;
    this.end = outer;
  }

  /** Skips an unknown field (groups and invalid wire types are not for the fast path). */
  skip(wt: number): void {
    if (wt === VARINT) this.varint();
    else if (wt === LEN) {
      const n = this.length(); // before `this.pos +=` reads pos
      this.pos += n;
    } else if (wt === BIT64) this.pos += 8;
    else if (wt === BIT32) this.pos += 4;
    else throw GIVE_UP;
    if (this.pos > this.end) throw GIVE_UP;
  }
}

// Fields the fast path does not read are still checked against their declaration, so a record
// protobuf-es would refuse is never stored by this path.
const byNumber = new WeakMap<DescMessage, Map<number, DescField>>();
function fieldOf(desc: DescMessage, no: number): DescField | undefined {
  let m = byNumber.get(desc);
  if (!m) {
    m = new Map(desc.fields.map((f) => [f.number, f]));
    byNumber.set(desc, m);
  }
  return m.get(no);
}

function scalarWireType(t: ScalarType): number {
  switch (t) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return LEN;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return BIT64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return BIT32;
    default:
      return VARINT;
  }
}

function checkScalar(r: Reader, t: ScalarType, wt: number): void {
  if (wt !== scalarWireType(t)) throw GIVE_UP;
  if (t === ScalarType.STRING) r.skipString();
  else r.skip(wt);
}

function checkMessage(r: Reader, desc: DescMessage, depth: number): void {
  if (depth > RECURSION_LIMIT) throw GIVE_UP;
  const outer = r.enter();
  while (r.pos < r.end) {
    const tag = r.tag();
    const no = tag >>> 3;
    const wt = tag & 7;
    const f = fieldOf(desc, no);
    if (f) checkField(r, f, wt, depth);
    else r.skip(wt);
  }
  r.leave(outer);
}

/** Reads past a declared field the row does not use, checking it as protobuf-es would read it. */
function checkField(r: Reader, f: DescField, wt: number, depth: number): void {
  switch (f.fieldKind) {
    case "scalar":
      checkScalar(r, f.scalar, wt);
      return;
    case "enum":
      if (wt !== VARINT) throw GIVE_UP;
      r.skip(wt);
      return;
    case "message":
      if (wt !== LEN || f.delimitedEncoding) throw GIVE_UP;
      checkMessage(r, f.message, depth + 1);
      return;
    case "list":
      if (f.listKind === "message") {
        if (wt !== LEN || f.delimitedEncoding) throw GIVE_UP;
        checkMessage(r, f.message, depth + 1);
        return;
      }
      {
        const t = f.listKind === "enum" ? ScalarType.INT32 : f.scalar;
        const elementWt = scalarWireType(t);
        if (wt === LEN && elementWt !== LEN) {
          const outer = r.enter(); // packed
          while (r.pos < r.end) r.skip(elementWt);
          r.leave(outer);
          return;
        }
        checkScalar(r, t, wt);
        return;
      }
    default:
      throw GIVE_UP; // maps: none in flow.Flow
  }
}

/** Reads a field the row does not use, or an unknown one. */
function other(r: Reader, desc: DescMessage, no: number, wt: number, depth: number): void {
  const f = fieldOf(desc, no);
  if (f) checkField(r, f, wt, depth);
  else r.skip(wt);
}

function expect(wt: number, want: number): void {
  if (wt !== want) throw GIVE_UP;
}

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

function read(input: Uint8Array): WireRow {
  const value = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const r = new Reader(value);
  let seconds = 0;
  let nanos = 0;
  let hasTime = false;
  let uuid = "";
  let nodeName = "";
  let verdict = 0;
  let dropReason = 0;
  let type = 0;
  let point = 0;
  let direction = 0;
  let ipVersion = -1;
  let srcIp = "";
  let dstIp = "";
  let protocol = "";
  let srcPort = 0;
  let dstPort = 0;
  let icmpType = 0;
  let icmpCode = 0;
  const tcpFlags: string[] = [];
  let src: EndpointPart | undefined;
  let dst: EndpointPart | undefined;
  let isReply = -1;
  let iface = "";
  let hasL7 = false;
  let l7Type = 0;
  let l7Latency = 0;
  let httpMethod = "";
  let httpUrl = "";
  let httpCode = 0;
  let httpProtocol = "";
  let dnsQuery = "";
  let dnsRcode = 0;
  const dnsQtypes: string[] = [];
  let kafkaTopic = "";
  let kafkaApiKey = "";
  let packets = 0;
  let bytes = 0;
  let rtt = 0;
  let retransmits = 0;
  const flowEvents: string[] = [];
  let kernelDrop = "";
  let pid = 0;
  let comm = "";
  let seen = 0; // singular message fields read so far (a repeat would merge: not for the fast path)
  const once = (bit: number) => {
    if (seen & bit) throw GIVE_UP;
    seen |= bit;
  };

  while (r.pos < r.end) {
    const tag = r.tag();
    const no = tag >>> 3;
    const wt = tag & 7;
    switch (no) {
      case 1: {
        expect(wt, LEN);
        once(1);
        hasTime = true;
        const o = r.enter();
        while (r.pos < r.end) {
          const t = r.tag();
          if (t === 0x08) {
            r.varint();
            // int64: negative or beyond 2^53 only matters to the schema check, which refuses both
            seconds = r.hi & 0x80000000 ? -1 : r.hi * 4294967296 + r.lo;
          } else if (t === 0x10) nanos = r.int32();
          else other(r, TIMESTAMP, t >>> 3, t & 7, 2);
        }
        r.leave(o);
        break;
      }
      case 34:
        expect(wt, LEN);
        uuid = r.string();
        break;
      case 2:
        expect(wt, VARINT);
        verdict = r.int32();
        break;
      case 5: {
        expect(wt, LEN);
        once(2);
        ipVersion = 0;
        const o = r.enter();
        while (r.pos < r.end) {
          const t = r.tag();
          if (t === 0x0a) srcIp = r.string();
          else if (t === 0x12) dstIp = r.string();
          else if (t === 0x18) ipVersion = r.int32();
          else other(r, IP, t >>> 3, t & 7, 2);
        }
        r.leave(o);
        break;
      }
      case 6: {
        expect(wt, LEN);
        once(4);
        const o = r.enter();
        while (r.pos < r.end) {
          const t = r.tag();
          const c = t >>> 3;
          if (c >= 1 && c <= 5) {
            expect(t & 7, LEN);
            if (protocol !== "") throw GIVE_UP; // a second oneof member replaces the first: not here
            protocol = L4_CASES[c];
            const o2 = r.enter();
            while (r.pos < r.end) {
              const u = r.tag();
              if (c === 3 || c === 4) {
                if (u === 0x08) icmpType = r.uint32();
                else if (u === 0x10) icmpCode = r.uint32();
                else other(r, ICMP4, u >>> 3, u & 7, 3);
              } else if (u === 0x08) srcPort = r.uint32();
              else if (u === 0x10) dstPort = r.uint32();
              else if (c === 1 && u === 0x1a) {
                if (tcpFlags.length || seen & 8) throw GIVE_UP;
                seen |= 8;
                const flags = new Array<boolean>(10).fill(false);
                const o3 = r.enter();
                while (r.pos < r.end) {
                  const v = r.tag();
                  const fno = v >>> 3;
                  if (fno >= 1 && fno <= 9 && (v & 7) === VARINT) flags[fno] = r.bool();
                  else other(r, TCP_FLAGS, fno, v & 7, 4);
                }
                r.leave(o3);
                // TCPFlags field numbers: FIN 1, SYN 2, RST 3, PSH 4, ACK 5, URG 6, ECE 7, CWR 8, NS 9
                for (const name of TCP_FLAG_NAMES) if (flags[TCP_FLAG_NUMBER[name]]) tcpFlags.push(name);
              } else other(r, c === 1 ? TCP : UDP, u >>> 3, u & 7, 3);
            }
            r.leave(o2);
          } else other(r, LAYER4, c, t & 7, 2);
        }
        r.leave(o);
        break;
      }
      case 8:
        expect(wt, LEN);
        once(16);
        src = endpoint(r, 1);
        break;
      case 9:
        expect(wt, LEN);
        once(32);
        dst = endpoint(r, 1);
        break;
      case 10:
        expect(wt, VARINT);
        type = r.int32();
        break;
      case 11:
        expect(wt, LEN);
        nodeName = r.string();
        break;
      case 15: {
        expect(wt, LEN);
        once(64);
        hasL7 = true;
        let record = 0;
        const o = r.enter();
        while (r.pos < r.end) {
          const t = r.tag();
          const c = t >>> 3;
          if (t === 0x08) l7Type = r.int32();
          else if (t === 0x10) l7Latency = r.uint64();
          else if (c >= 100 && c <= 102) {
            expect(t & 7, LEN);
            if (record !== 0) throw GIVE_UP;
            record = c;
            const o2 = r.enter();
            while (r.pos < r.end) {
              const u = r.tag();
              if (c === 100) {
                if (u === 0x0a) dnsQuery = r.string();
                else if (u === 0x30) dnsRcode = r.uint32();
                else if (u === 0x3a) dnsQtypes.push(r.string());
                else other(r, DNS, u >>> 3, u & 7, 3);
              } else if (c === 101) {
                if (u === 0x08) httpCode = r.uint32();
                else if (u === 0x12) httpMethod = r.string();
                else if (u === 0x1a) httpUrl = r.string();
                else if (u === 0x22) httpProtocol = r.string();
                else other(r, HTTP, u >>> 3, u & 7, 3);
              } else if (u === 0x1a) kafkaApiKey = r.string();
              else if (u === 0x2a) kafkaTopic = r.string();
              else other(r, KAFKA, u >>> 3, u & 7, 3);
            }
            r.leave(o2);
          } else other(r, LAYER7, c, t & 7, 2);
        }
        r.leave(o);
        break;
      }
      case 22:
        expect(wt, VARINT);
        direction = r.int32();
        break;
      case 24:
        expect(wt, VARINT);
        point = r.int32();
        break;
      case 25:
        expect(wt, VARINT);
        dropReason = r.int32();
        break;
      case 26: {
        expect(wt, LEN);
        once(128);
        isReply = 0;
        const o = r.enter();
        while (r.pos < r.end) {
          const t = r.tag();
          if (t === 0x08) isReply = r.bool() ? 1 : 0;
          else other(r, BOOL_VALUE, t >>> 3, t & 7, 2);
        }
        r.leave(o);
        break;
      }
      case 28: {
        expect(wt, LEN);
        once(256);
        const o = r.enter();
        while (r.pos < r.end) {
          const t = r.tag();
          if (t === 0x12) iface = r.string();
          else other(r, IFACE, t >>> 3, t & 7, 2);
        }
        r.leave(o);
        break;
      }
      case 150000: {
        expect(wt, LEN);
        once(512);
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
        if (typeUrl === "") break;
        const slash = typeUrl.lastIndexOf("/");
        const name = slash >= 0 ? typeUrl.substring(slash + 1) : typeUrl;
        if (name === "") throw GIVE_UP; // protobuf-es: invalid type url
        if (name !== EXT.typeName) break;
        // The extension's own message: a reader over the value bytes, as anyUnpack decodes it.
        const x = new Reader(from < 0 ? Buffer.alloc(0) : value.subarray(from, to));
        while (x.pos < x.end) {
          const t = x.tag();
          const xno = t >>> 3;
          if (t === 0x08) packets = x.uint64();
          else if (t === 0x10) bytes = x.uint64();
          else if (t === 0x28) rtt = x.uint64();
          else if (t === 0x30) retransmits = x.uint32();
          else if (t === 0x38) pid = x.uint32();
          else if (t === 0x42) comm = x.string();
          else if (t === 0x48) flowEvents.push(names.flowEvent(x.int32()));
          else if (t === 0x4a) {
            const o2 = x.enter(); // packed
            while (x.pos < x.end) flowEvents.push(names.flowEvent(x.int32()));
            x.leave(o2);
          } else if (t === 0x5a) kernelDrop = x.string();
          else other(x, EXT, xno, t & 7, 0);
        }
        break;
      }
      default:
        other(r, FLOW, no, wt, 0);
    }
  }

  if (seconds !== lastSeconds) {
    lastSeconds = seconds;
    lastTime = dateTimeFromSeconds(seconds);
  }
  const row: FlowRow = {
    time: lastTime,
    time_ns: nanos,
    uuid,
    node_name: nodeName,
    verdict: names.verdict(verdict),
    drop_reason: dropReason ? names.dropReason(dropReason) : "",
    type: names.flowType(type),
    observation_point: names.point(point),
    ip_version: ipVersion === 1 ? 4 : ipVersion === 2 ? 6 : 0,
    src_ip: srcIp,
    dst_ip: dstIp,
    src_port: srcPort,
    dst_port: dstPort,
    protocol,
    icmp_type: icmpType,
    icmp_code: icmpCode,
    tcp_flags: tcpFlags,
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
    traffic_direction: names.direction(direction),
    is_reply: isReply,
    interface: iface,
    packets,
    bytes,
    rtt_ns: rtt,
    retransmits,
    flow_events: flowEvents,
    kernel_drop_reason: kernelDrop,
    pid,
    comm,
    l7_type: hasL7 ? names.l7Type(l7Type) : "",
    l7_latency_ns: hasL7 ? l7Latency : 0,
    http_method: httpMethod,
    http_url: httpUrl,
    http_code: httpCode,
    http_protocol: httpProtocol,
    dns_query: dnsQuery,
    dns_rcode: dnsRcode,
    dns_qtypes: dnsQtypes,
    kafka_topic: kafkaTopic,
    kafka_api_key: kafkaApiKey,
    flow_pb: value.toString("base64"),
  };
  return { row, seconds, hasTime, ipVersion };
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
