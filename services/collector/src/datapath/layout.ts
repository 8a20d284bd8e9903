// Byte offsets of the kernel/user ABI (bpf/include/flowlens/abi.h). Checked against the compiled
// object's BTF and against golden bytes by layout.test.ts; change both sides together.

export const ABI_VERSION = 1;

export const RecordKind = { FLOW: 1, DROP: 2, SOCK: 3, RETRANS: 4 } as const;

export const FlowEventBit = { NEW: 1, TCP_FLAGS: 2, END: 4, PERIODIC: 8 } as const;

export const TcDir = { INGRESS: 0, EGRESS: 1 } as const;

export const Stat = {
  RINGBUF_FULL: 0,
  FLOW_MAP_FULL: 1,
  PACKETS: 2,
  RECORDS: 3,
  PARSE_ERRORS: 4,
  MAX: 8,
} as const;

/** struct name -> { size, fields: name -> offset } exactly as in abi.h. */
export const Layout = {
  fl_record_hdr: { size: 16, fields: { kind: 0, version: 2, len: 4, ts_ns: 8 } },
  fl_flow_key: {
    size: 44,
    fields: { saddr: 0, daddr: 16, sport: 32, dport: 34, ifindex: 36, proto: 40, ip_version: 41, tc_dir: 42, pad: 43 },
  },
  fl_flow_stats: {
    size: 88,
    fields: {
      flow_id: 0,
      first_ns: 8,
      last_ns: 16,
      packets: 24,
      bytes: 32,
      syn_ns: 40,
      rtt_ns: 48,
      last_report_ns: 56,
      tcp_flags_seen: 64,
      is_reply: 66,
      ended: 67,
      eth_src: 68,
      eth_dst: 74,
      pad: 80,
    },
  },
  fl_flow_record: { size: 152, fields: { hdr: 0, key: 16, events: 60, tcp_flags: 62, stats: 64 } },
  fl_drop_record: {
    size: 80,
    fields: { hdr: 0, key: 16, reason: 60, skb_len: 64, tcp_flags: 68, pad: 70, location: 72 },
  },
  fl_sock_record: {
    size: 96,
    fields: { hdr: 0, key: 16, old_state: 60, new_state: 62, pid: 64, pad: 68, cgroup_id: 72, comm: 80 },
  },
  fl_retrans_record: { size: 64, fields: { hdr: 0, key: 16, tcp_state: 60 } },
  fl_ip_key: { size: 16, fields: { addr: 0 } },
  fl_config: { size: 16, fields: { report_interval_ns: 0, wakeup_threshold_bytes: 8, pad: 12 } },
} as const;

export type StructName = keyof typeof Layout;

// Absolute offsets inside a record, used by the decoder's hot path.
const K = Layout.fl_flow_record.fields.key;
const S = Layout.fl_flow_record.fields.stats;
const KF = Layout.fl_flow_key.fields;
const SF = Layout.fl_flow_stats.fields;
export const Off = {
  kind: 0,
  len: 4,
  ts: 8,
  saddr: K + KF.saddr,
  daddr: K + KF.daddr,
  sport: K + KF.sport,
  dport: K + KF.dport,
  ifindex: K + KF.ifindex,
  proto: K + KF.proto,
  ipVersion: K + KF.ip_version,
  tcDir: K + KF.tc_dir,
  events: Layout.fl_flow_record.fields.events,
  tcpFlags: Layout.fl_flow_record.fields.tcp_flags,
  flowId: S + SF.flow_id,
  firstNs: S + SF.first_ns,
  lastNs: S + SF.last_ns,
  packets: S + SF.packets,
  bytes: S + SF.bytes,
  synNs: S + SF.syn_ns,
  rttNs: S + SF.rtt_ns,
  tcpFlagsSeen: S + SF.tcp_flags_seen,
  isReply: S + SF.is_reply,
  ended: S + SF.ended,
  ethSrc: S + SF.eth_src,
  ethDst: S + SF.eth_dst,
  dropReason: Layout.fl_drop_record.fields.reason,
  dropSkbLen: Layout.fl_drop_record.fields.skb_len,
  dropTcpFlags: Layout.fl_drop_record.fields.tcp_flags,
  dropLocation: Layout.fl_drop_record.fields.location,
  sockOldState: Layout.fl_sock_record.fields.old_state,
  sockNewState: Layout.fl_sock_record.fields.new_state,
  sockPid: Layout.fl_sock_record.fields.pid,
  sockCgroup: Layout.fl_sock_record.fields.cgroup_id,
  sockComm: Layout.fl_sock_record.fields.comm,
  retransState: Layout.fl_retrans_record.fields.tcp_state,
} as const;
