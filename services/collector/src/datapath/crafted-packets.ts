// Hand-built Ethernet frames for BPF_PROG_TEST_RUN tests of the tc programs: IPv4 and IPv6 with
// fragment fields, and L4 bytes given as-is so a test can cut headers anywhere. Checksums stay
// zero (tc does not check them).
import { addrToKey } from "../net/ip.js";

export const TCP = 6;
export const UDP = 17;
export const ICMP = 1;
export const ICMPV6 = 58;

/** A TCP header (20 bytes, no options) followed by `payload` bytes. */
export function tcpSegment(sport: number, dport: number, flags: number, payload = 0): Buffer {
  const b = Buffer.alloc(20 + payload);
  b.writeUInt16BE(sport, 0);
  b.writeUInt16BE(dport, 2);
  b[12] = 0x50;
  b[13] = flags;
  return b;
}

/** A UDP header (8 bytes) followed by `payload` bytes. */
export function udpDatagram(sport: number, dport: number, payload = 0): Buffer {
  const b = Buffer.alloc(8 + payload);
  b.writeUInt16BE(sport, 0);
  b.writeUInt16BE(dport, 2);
  b.writeUInt16BE(8 + payload, 4);
  return b;
}

export interface Ipv4Opts {
  id?: number;
  /** More fragments flag. */
  mf?: boolean;
  /** Fragment offset in 8-byte units. */
  offset?: number;
  /** Header length in 32-bit words (default 5). */
  ihl?: number;
  /** Total length field (default: header + l4). */
  totLen?: number;
  /** Cut the frame to this many bytes after building it. */
  truncate?: number;
}

function ethernet(ethertype: number, l3: Buffer): Buffer {
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(ethertype, 12);
  return Buffer.concat([eth, l3]);
}

export function ipv4(proto: number, src: string, dst: string, l4: Buffer, o: Ipv4Opts = {}): Buffer {
  const ihl = o.ihl ?? 5;
  const hlen = Math.max(ihl, 5) * 4;
  const h = Buffer.alloc(hlen);
  h[0] = 0x40 | ihl;
  h.writeUInt16BE(o.totLen ?? hlen + l4.length, 2);
  h.writeUInt16BE(o.id ?? 0, 4);
  h.writeUInt16BE((o.mf ? 0x2000 : 0) | (o.offset ?? 0), 6);
  h[8] = 64;
  h[9] = proto;
  addrToKey(src).copy(h, 12, 0, 4);
  addrToKey(dst).copy(h, 16, 0, 4);
  const frame = ethernet(0x0800, Buffer.concat([h, l4]));
  return o.truncate === undefined ? frame : frame.subarray(0, o.truncate);
}

export interface Ipv6Opts {
  /** Adds a fragment header with this identification. */
  fragId?: number;
  mf?: boolean;
  /** Fragment offset in 8-byte units. */
  offset?: number;
  /** Destination-options headers (8 bytes each) before the fragment header / L4. */
  extHeaders?: number;
  truncate?: number;
}

export function ipv6(proto: number, src: string, dst: string, l4: Buffer, o: Ipv6Opts = {}): Buffer {
  const exts: Buffer[] = [];
  const chain: number[] = [];
  for (let i = 0; i < (o.extHeaders ?? 0); i++) chain.push(60);
  if (o.fragId !== undefined) chain.push(44);
  chain.push(proto);
  for (let i = 0; i < chain.length - 1; i++) {
    const e = Buffer.alloc(8);
    e[0] = chain[i + 1];
    if (chain[i] === 44) {
      e.writeUInt16BE(((o.offset ?? 0) << 3) | (o.mf ? 1 : 0), 2);
      e.writeUInt32BE(o.fragId ?? 0, 4);
    }
    exts.push(e);
  }
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  const payload = Buffer.concat([...exts, l4]);
  h.writeUInt16BE(payload.length, 4);
  h[6] = chain[0];
  h[7] = 64;
  addrToKey(src).copy(h, 8);
  addrToKey(dst).copy(h, 24);
  const frame = ethernet(0x86dd, Buffer.concat([h, payload]));
  return o.truncate === undefined ? frame : frame.subarray(0, o.truncate);
}

/** The frame with an 802.1Q tag (VLAN 1) in front of its ethertype. BPF_PROG_TEST_RUN refuses an
 * untagged IPv4/IPv6 frame shorter than its IP header; a tagged one reaches the program as a raw
 * socket in a pod could send it. */
export function vlanTagged(frame: Buffer): Buffer {
  const tag = Buffer.from([0x81, 0x00, 0x00, 0x01]);
  return Buffer.concat([frame.subarray(0, 12), tag, frame.subarray(12)]);
}
