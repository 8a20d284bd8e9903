// Byte offsets of the kernel/user ABI (bpf/include/flowlens/abi.h). Checked against the compiled
// object's BTF and against golden bytes by layout.test.ts; change both sides together.

export const ABI_VERSION = 1;

export const RecordKind = { FLOW: 1, DROP: 2, SOCK: 3, RETRANS: 4, POLICY: 5 } as const;

export const FlowEventBit = { NEW: 1, TCP_FLAGS: 2, END: 4, PERIODIC: 8 } as const;

export const TcDir = { INGRESS: 0, EGRESS: 1 } as const;

/** enum fl_policy_dir: relative to the subject endpoint. */
export const PolicyDir = { INGRESS: 0, EGRESS: 1 } as const;

/** enum fl_policy_action */
export const PolicyAction = { ALLOW: 1, DENY: 2 } as const;

/** enum fl_policy_flag (fl_policy_value.flags) */
export const PolicyFlag = { AUDIT: 1, L7: 2 } as const;

/** enum fl_verdict: Hubble's Verdict numbers. */
export const PolicyVerdict = { FORWARDED: 1, DROPPED: 2, AUDIT: 4, REDIRECTED: 5 } as const;

/** enum fl_policy_drop_reason: Hubble's DropReason numbers (policy, and what tc cannot decide on). */
export const PolicyDropReason = {
  POLICY_DENIED: 133,
  POLICY_DENY: 181,
  INVALID_PACKET_DROPPED: 134,
  CT_TRUNCATED_OR_INVALID_HEADER: 135,
  INVALID_IPV6_EXTENSION_HEADER: 156,
  FRAG_NOT_FOUND: 175,
} as const;

/** enum fl_policy_hook */
export const PolicyHook = { TC: 0, CONNECT: 1, SENDMSG: 2 } as const;

/** enum fl_ct_flag (fl_ct_value.flags) */
export const CtFlag = { L7: 1, CLOSING: 2 } as const;

export const Stat = {
  RINGBUF_FULL: 0,
  FLOW_MAP_FULL: 1,
  PACKETS: 2,
  RECORDS: 3,
  PARSE_ERRORS: 4,
  POLICY_DROPS: 5,
  CT_MAP_FULL: 6,
  INVALID_DROPS: 7,
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
  fl_policy_key: {
    size: 16,
    fields: { prefixlen: 0, subject_identity: 4, peer_identity: 8, direction: 12, proto: 13, dport: 14 },
  },
  fl_policy_value: { size: 8, fields: { rule_id: 0, action: 4, flags: 5, l4_match: 6, pad: 7 } },
  fl_endpoint_info: { size: 12, fields: { endpoint_id: 0, identity: 4, enforce: 8, audit: 9, pad: 10 } },
  fl_ipcache_key: { size: 20, fields: { prefixlen: 0, addr: 4 } },
  fl_ipcache_value: { size: 8, fields: { identity: 0, endpoint_id: 4 } },
  fl_ct_key: { size: 40, fields: { saddr: 0, daddr: 16, sport: 32, dport: 34, proto: 36, direction: 37, pad: 38 } },
  fl_ct_value: {
    size: 32,
    fields: {
      created_ns: 0,
      last_ns: 8,
      rule_id: 16,
      subject_identity: 20,
      endpoint_id: 24,
      verdict: 28,
      flags: 29,
      pad: 30,
    },
  },
  fl_policy_record: {
    size: 96,
    fields: {
      hdr: 0,
      key: 16,
      subject_identity: 60,
      peer_identity: 64,
      rule_id: 68,
      direction: 72,
      verdict: 73,
      match_type: 74,
      hook: 75,
      drop_reason: 76,
      tcp_flags: 78,
      pid: 80,
      endpoint_id: 84,
      cgroup_id: 88,
    },
  },
  fl_frag_key: { size: 40, fields: { saddr: 0, daddr: 16, id: 32, proto: 36, ip_version: 37, pad: 38 } },
  fl_frag_value: { size: 4, fields: { sport: 0, dport: 2 } },
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
  polSubject: Layout.fl_policy_record.fields.subject_identity,
  polPeer: Layout.fl_policy_record.fields.peer_identity,
  polRuleId: Layout.fl_policy_record.fields.rule_id,
  polDirection: Layout.fl_policy_record.fields.direction,
  polVerdict: Layout.fl_policy_record.fields.verdict,
  polMatchType: Layout.fl_policy_record.fields.match_type,
  polHook: Layout.fl_policy_record.fields.hook,
  polDropReason: Layout.fl_policy_record.fields.drop_reason,
  polTcpFlags: Layout.fl_policy_record.fields.tcp_flags,
  polPid: Layout.fl_policy_record.fields.pid,
  polEndpointId: Layout.fl_policy_record.fields.endpoint_id,
  polCgroup: Layout.fl_policy_record.fields.cgroup_id,
} as const;
