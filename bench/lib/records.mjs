// Synthetic ring-buffer batches in the exact ABI layout (bpf/include/flowlens/abi.h), built from the
// collector's own offset table, shaped like what RingBufferReader hands the decoder: one Buffer of
// records back to back plus a Uint32Array of record offsets.
import { ABI_VERSION, FlowEventBit, Layout, Off, RecordKind } from "../../services/collector/dist/datapath/layout.js";

const FLOW_LEN = Layout.fl_flow_record.size;
const DROP_LEN = Layout.fl_drop_record.size;
const SOCK_LEN = Layout.fl_sock_record.size;

function header(buf, off, kind, len, ts) {
  buf.writeUInt16LE(kind, off);
  buf.writeUInt16LE(ABI_VERSION, off + 2);
  buf.writeUInt32LE(len, off + Off.len);
  buf.writeBigUInt64LE(BigInt(ts), off + Off.ts);
}

function key(buf, off, flow, dir) {
  // 10.200.A.B -> 10.200.C.D, ports spread so every flow id has its own 5-tuple.
  const src = [10, 200, (flow >> 8) & 0xff, flow & 0xff];
  const dst = [10, 200, 0, 10 + (flow % 7)];
  const [s, d] = dir ? [dst, src] : [src, dst];
  for (let i = 0; i < 4; i++) {
    buf[off + Off.saddr + i] = s[i];
    buf[off + Off.daddr + i] = d[i];
  }
  const sport = 32768 + (flow % 28000);
  const dport = [80, 443, 5432, 53, 8080][flow % 5];
  buf.writeUInt16LE(dir ? dport : sport, off + Off.sport);
  buf.writeUInt16LE(dir ? sport : dport, off + Off.dport);
  buf.writeUInt32LE(3 + (flow % 8), off + Off.ifindex);
  buf[off + Off.proto] = flow % 5 === 3 ? 17 : 6;
  buf[off + Off.ipVersion] = 4;
  buf[off + Off.tcDir] = dir;
}

/**
 * Record stream with `window` connections open at any time (so the decoder's flow table stays
 * populated): step f opens connection f and closes connection f - window.
 * mix "flow": per direction NEW|TCP_FLAGS then TCP_FLAGS|END, a PERIODIC for every fourth
 * connection, a drop for every seventh (flow and drop records only).
 * mix "tcp": the same plus the sock records a real short TCP connection adds (client
 * CLOSE->SYN_SENT with port 0, SYN_SENT->ESTABLISHED, server SYN_RECV->ESTABLISHED, and the
 * close-side transitions), which is what the kernel emits for request/response traffic.
 */
function* recordPlan(flows, window, mix) {
  for (let step = 0; ; step++) {
    const f = step % flows;
    const old = (step - window + flows * 4) % flows;
    for (const dir of [0, 1])
      yield { kind: RecordKind.FLOW, flow: f, dir, events: FlowEventBit.NEW | FlowEventBit.TCP_FLAGS, flags: dir ? 0x12 : 0x02 };
    if (mix === "tcp")
      for (const [o, n, side] of [
        [7, 2, 0],
        [2, 1, 0],
        [3, 1, 1],
      ])
        yield { kind: RecordKind.SOCK, flow: f, dir: side, state: [o, n] };
    if (f % 4 === 0)
      yield { kind: RecordKind.FLOW, flow: (f + flows - (window >> 1)) % flows, dir: 0, events: FlowEventBit.PERIODIC, flags: 0x10 };
    if (f % 7 === 0) yield { kind: RecordKind.DROP, flow: f, dir: 0 };
    if (step < window) continue;
    if (mix === "tcp")
      for (const [o, n, side] of [
        [1, 4, 0],
        [1, 8, 1],
        [4, 5, 0],
        [8, 9, 1],
        [9, 7, 1],
      ])
        yield { kind: RecordKind.SOCK, flow: old, dir: side, state: [o, n] };
    for (const dir of [0, 1])
      yield { kind: RecordKind.FLOW, flow: old, dir, events: FlowEventBit.TCP_FLAGS | FlowEventBit.END, flags: 0x11 };
  }
}

function writeRecord(buf, off, r, ts) {
  // Each direction has its own flow id (the kernel's random 52-bit id; distinct is what matters).
  const id = 0x10000000000 + r.flow * 2 + r.dir;
  if (r.kind === RecordKind.FLOW) {
    header(buf, off, r.kind, FLOW_LEN, ts);
    key(buf, off, r.flow, r.dir);
    buf.writeUInt16LE(r.events, off + Off.events);
    buf.writeUInt16LE(r.flags, off + Off.tcpFlags);
    buf.writeBigUInt64LE(BigInt(id), off + Off.flowId);
    buf.writeBigUInt64LE(BigInt(ts - 1000), off + Off.firstNs);
    buf.writeBigUInt64LE(BigInt(ts), off + Off.lastNs);
    buf.writeBigUInt64LE(BigInt(3 + (r.flow % 50)), off + Off.packets);
    buf.writeBigUInt64LE(BigInt(200 + 1400 * (r.flow % 50)), off + Off.bytes);
    buf.writeUInt16LE(r.flags | 0x10, off + Off.tcpFlagsSeen);
    buf[off + Off.isReply] = r.dir;
    return FLOW_LEN;
  }
  if (r.kind === RecordKind.DROP) {
    header(buf, off, r.kind, DROP_LEN, ts);
    key(buf, off, r.flow, r.dir);
    buf.writeUInt32LE(3, off + Off.dropReason); // SKB_DROP_REASON_NO_SOCKET
    buf.writeUInt32LE(74, off + Off.dropSkbLen);
    buf.writeUInt16LE(0x02, off + Off.dropTcpFlags);
    return DROP_LEN;
  }
  header(buf, off, r.kind, SOCK_LEN, ts);
  key(buf, off, r.flow, r.dir);
  buf.writeUInt16LE(r.state[0], off + Off.sockOldState);
  buf.writeUInt16LE(r.state[1], off + Off.sockNewState);
  buf.writeUInt32LE(1000 + (r.flow % 300), off + Off.sockPid);
  // The kernel picks the client's source port after CLOSE->SYN_SENT, so that record carries 0.
  if (r.state[1] === 2) buf.writeUInt16LE(0, off + Off.sport);
  buf.write("curl", off + Off.sockComm, "latin1");
  return SOCK_LEN;
}

/** Builds `batches` batches of `batchSize` records over `flows` distinct connections (see recordPlan). */
export function buildBatches({ batches, batchSize, flows, window, mix }) {
  const plan = recordPlan(flows, window, mix);
  const out = [];
  const counts = { flow: 0, drop: 0, sock: 0 };
  let ts = 1_000_000_000;
  for (let b = 0; b < batches; b++) {
    const buf = Buffer.alloc(batchSize * FLOW_LEN);
    const offsets = new Uint32Array(batchSize + 1);
    let off = 0;
    for (let i = 0; i < batchSize; i++) {
      const next = plan.next();
      offsets[i] = off;
      ts += 700;
      off += writeRecord(buf, off, next.value, ts);
      counts[next.value.kind === RecordKind.FLOW ? "flow" : next.value.kind === RecordKind.DROP ? "drop" : "sock"]++;
    }
    offsets[batchSize] = off;
    out.push({ buf: buf.subarray(0, off), offsets, count: batchSize });
  }
  return { batches: out, counts };
}
