// Kafka record key of a flow: the sorted "ip:port" pair plus the protocol, so both directions of
// one connection hash to the same partition. Read straight from the flow's bytes (no decoding).

import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { FlowSchema, IPSchema, Layer4Schema, TCPSchema } from "@flowlens/proto";

const F_IP = FlowSchema.field.IP.number;
const F_L4 = FlowSchema.field.l4.number;
const IP_SRC = IPSchema.field.source.number;
const IP_DST = IPSchema.field.destination.number;
const PORT_SRC = TCPSchema.field.sourcePort.number; // same numbers in UDP and SCTP
const PORT_DST = TCPSchema.field.destinationPort.number;
const L4_NAMES: Record<number, string> = {
  [Layer4Schema.field.TCP.number]: "TCP",
  [Layer4Schema.field.UDP.number]: "UDP",
  [Layer4Schema.field.ICMPv4.number]: "ICMPv4",
  [Layer4Schema.field.ICMPv6.number]: "ICMPv6",
  [Layer4Schema.field.SCTP.number]: "SCTP",
};
const WITH_PORTS = new Set(["TCP", "UDP", "SCTP"]);

export interface ConnectionTuple {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  protocol: string;
}

export function connectionTuple(flowBytes: Uint8Array): ConnectionTuple {
  const t: ConnectionTuple = { src: "", dst: "", sport: 0, dport: 0, protocol: "" };
  const r = new BinaryReader(flowBytes);
  while (r.pos < r.len) {
    const [field, wt] = r.tag();
    if (field === F_IP && wt === WireType.LengthDelimited) {
      const ip = new BinaryReader(r.bytes());
      while (ip.pos < ip.len) {
        const [f, w] = ip.tag();
        if (f === IP_SRC && w === WireType.LengthDelimited) t.src = ip.string();
        else if (f === IP_DST && w === WireType.LengthDelimited) t.dst = ip.string();
        else ip.skip(w, f);
      }
    } else if (field === F_L4 && wt === WireType.LengthDelimited) {
      const l4 = new BinaryReader(r.bytes());
      while (l4.pos < l4.len) {
        const [f, w] = l4.tag();
        const name = L4_NAMES[f];
        if (name === undefined || w !== WireType.LengthDelimited) {
          l4.skip(w, f);
          continue;
        }
        t.protocol = name;
        const inner = new BinaryReader(l4.bytes());
        if (!WITH_PORTS.has(name)) continue;
        while (inner.pos < inner.len) {
          const [pf, pw] = inner.tag();
          if (pf === PORT_SRC && pw === WireType.Varint) t.sport = inner.uint32();
          else if (pf === PORT_DST && pw === WireType.Varint) t.dport = inner.uint32();
          else inner.skip(pw, pf);
        }
      }
    } else r.skip(wt, field);
  }
  return t;
}

const endpoint = (ip: string, port: number, withPort: boolean) => (withPort ? `${ip.includes(":") ? `[${ip}]` : ip}:${port}` : ip);

/** "a|b|PROTO" with a <= b: the same for both directions of a connection. */
export function connectionKey(flowBytes: Uint8Array): string {
  const t = connectionTuple(flowBytes);
  const ports = WITH_PORTS.has(t.protocol);
  const a = endpoint(t.src, t.sport, ports);
  const b = endpoint(t.dst, t.dport, ports);
  return a <= b ? `${a}|${b}|${t.protocol}` : `${b}|${a}|${t.protocol}`;
}
