/* Flowlens kernel/user ABI: every record, map key, map value and enum that crosses the kernel
 * boundary. The TS decoder (services/collector/src/datapath/layout.ts) must match this byte for
 * byte; a test checks it against the compiled object's BTF and against golden bytes.
 * Fixed-width types only, explicit padding, sizes asserted below. Include after vmlinux.h (BPF)
 * or <linux/types.h> (user space). */
#ifndef FLOWLENS_ABI_H
#define FLOWLENS_ABI_H

#define FL_ABI_VERSION 1

/* Record kinds: first field of every ring-buffer record. */
enum fl_record_kind {
	FL_REC_FLOW = 1,    /* flow event from the tc programs */
	FL_REC_DROP = 2,    /* kernel drop (skb/kfree_skb) on an observed endpoint */
	FL_REC_SOCK = 3,    /* TCP state change (sock/inet_sock_set_state) */
	FL_REC_RETRANS = 4, /* TCP retransmission (tcp/tcp_retransmit_skb) */
	FL_REC_POLICY = 5,  /* policy decision: new connection allowed/audited, or a denied packet/call */
};

/* Why a flow record was emitted: bit set in fl_flow_record.events. */
enum fl_flow_event {
	FL_EV_NEW = 1,       /* first packet of this flow direction */
	FL_EV_TCP_FLAGS = 2, /* SYN, SYN-ACK, FIN or RST seen for the first time */
	FL_EV_END = 4,       /* FIN/RST exchange finished, or idle timeout (user-space sweep) */
	FL_EV_PERIODIC = 8,  /* counter update for a long flow */
};

/* Which tc hook of the host-side interface saw the packet. On an endpoint's host-side veth,
 * tc ingress carries packets leaving the endpoint, tc egress packets entering it. */
enum fl_tc_dir {
	FL_TC_INGRESS = 0,
	FL_TC_EGRESS = 1,
};

/* TCP flag bits as in the TCP header's flags byte (plus ECE/CWR). */
enum fl_tcp_flag {
	FL_TCP_FIN = 0x01,
	FL_TCP_SYN = 0x02,
	FL_TCP_RST = 0x04,
	FL_TCP_PSH = 0x08,
	FL_TCP_ACK = 0x10,
	FL_TCP_URG = 0x20,
	FL_TCP_ECE = 0x40,
	FL_TCP_CWR = 0x80,
};

/* Indices of the per-CPU counter array fl_stats. */
enum fl_stat {
	FL_STAT_RINGBUF_FULL = 0,  /* bpf_ringbuf_reserve failed: record lost */
	FL_STAT_FLOW_MAP_FULL = 1, /* new flow could not be inserted into fl_flows */
	FL_STAT_PACKETS = 2,       /* packets seen by the tc programs */
	FL_STAT_RECORDS = 3,       /* records submitted to the ring buffer */
	FL_STAT_PARSE_ERRORS = 4,  /* packets too short or malformed to parse */
	FL_STAT_POLICY_DROPS = 5,  /* packets dropped and socket calls refused by policy */
	FL_STAT_CT_MAP_FULL = 6,   /* allowed connection could not be inserted into fl_ct */
	FL_STAT_INVALID_DROPS = 7, /* unreadable packets and orphan fragments dropped on enforcing endpoints */
	FL_STAT_MAX = 8,
};

/* Common header of every ring-buffer record. */
struct fl_record_hdr {
	__u16 kind;    /* enum fl_record_kind */
	__u16 version; /* FL_ABI_VERSION */
	__u32 len;     /* whole record, header included */
	__u64 ts_ns;   /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
};

/* One direction of a flow as seen on one interface hook. Addresses in network byte order;
 * IPv4 addresses use the first 4 bytes and zeros after. Ports in host byte order. For ICMP,
 * sport holds the type and dport the code (so echo request and reply are different flows). */
struct fl_flow_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u32 ifindex;
	__u8 proto;      /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 */
	__u8 ip_version; /* 4 or 6 */
	__u8 tc_dir;     /* enum fl_tc_dir; 0 in records from tracepoints */
	__u8 pad;
};

/* Value of fl_flows: counters of one flow direction. */
struct fl_flow_stats {
	__u64 flow_id;        /* random 52-bit id, fits a JS number */
	__u64 first_ns;
	__u64 last_ns;
	__u64 packets;
	__u64 bytes;          /* skb->len, L2 header included */
	__u64 syn_ns;         /* time the SYN of this direction was seen, 0 if none */
	__u64 rtt_ns;         /* SYN -> SYN-ACK time, set on the SYN-ACK direction */
	__u64 last_report_ns; /* last record emitted for this flow */
	__u16 tcp_flags_seen; /* OR of enum fl_tcp_flag */
	__u8 is_reply;        /* 1 if the reverse direction existed first (or SYN-ACK) */
	__u8 ended;           /* 1 once FIN or RST was seen in this direction */
	__u8 eth_src[6];
	__u8 eth_dst[6];
	__u8 pad[4];
};

/* FL_REC_FLOW */
struct fl_flow_record {
	struct fl_record_hdr hdr;
	struct fl_flow_key key;
	__u16 events;    /* OR of enum fl_flow_event */
	__u16 tcp_flags; /* flags of the packet that caused the record */
	struct fl_flow_stats stats;
};

/* FL_REC_DROP: key.ifindex is the device of the skb (0 if none). */
struct fl_drop_record {
	struct fl_record_hdr hdr;
	struct fl_flow_key key;
	__u32 reason;    /* kernel enum skb_drop_reason */
	__u32 skb_len;
	__u16 tcp_flags;
	__u8 pad[2];
	__u64 location;  /* kernel address that dropped the skb */
};

/* FL_REC_SOCK: key as the socket sees it (saddr = local). pid/comm/cgroup only in process
 * context, else 0. */
struct fl_sock_record {
	struct fl_record_hdr hdr;
	struct fl_flow_key key;
	__u16 old_state; /* TCP_ESTABLISHED, ... as in include/net/tcp_states.h */
	__u16 new_state;
	__u32 pid;       /* tgid */
	__u32 pad;
	__u64 cgroup_id;
	char comm[16];
};

/* FL_REC_RETRANS: key as the socket sees it. */
struct fl_retrans_record {
	struct fl_record_hdr hdr;
	struct fl_flow_key key;
	__u32 tcp_state;
};

/* Key of fl_endpoint_ips: an observed endpoint address (same encoding as fl_flow_key). */
struct fl_ip_key {
	__u8 addr[16];
};

/* ---- Policy enforcement ------------------------------------------------------------------
 * Identities: 0 = any (policy keys only), 1..255 reserved (1 host, 2 world, as in Cilium),
 * endpoint identities from their labels, CIDR identities allocated by the policy compiler.
 * Direction is relative to the endpoint whose policy decides (the "subject"). */

enum fl_policy_dir {
	FL_POL_INGRESS = 0, /* traffic entering the subject endpoint */
	FL_POL_EGRESS = 1,  /* traffic leaving it */
};

enum fl_policy_action {
	FL_POL_ALLOW = 1,
	FL_POL_DENY = 2,
};

/* fl_policy_value.flags */
enum fl_policy_flag {
	FL_POLF_AUDIT = 1, /* from an audit-mode policy: a deny here passes with verdict AUDIT */
	FL_POLF_L7 = 2,    /* allowed, and new connections go to the L7 proxy (ingress only) */
};

/* Hubble's Verdict and DropReason numbers, as carried in fl_policy_record. */
enum fl_verdict {
	FL_VERDICT_FORWARDED = 1,
	FL_VERDICT_DROPPED = 2,
	FL_VERDICT_AUDIT = 4,
	FL_VERDICT_REDIRECTED = 5, /* allowed at L4 and handed to the L7 proxy */
};
enum fl_policy_drop_reason {
	FL_DROP_POLICY_DENIED = 133, /* no allow rule matched (default deny) */
	FL_DROP_POLICY_DENY = 181,   /* an explicit deny rule matched */
	/* Fail closed on an enforcing endpoint: what policy cannot be decided on is dropped. */
	FL_DROP_INVALID_PACKET = 134,      /* INVALID_PACKET_DROPPED: bad or truncated L2/L3 header */
	FL_DROP_CT_INVALID_HDR = 135,      /* CT_TRUNCATED_OR_INVALID_HEADER: L4 header missing or cut */
	FL_DROP_INVALID_EXTHDR = 156,      /* INVALID_IPV6_EXTENSION_HEADER: cut, or too many to follow */
	FL_DROP_FRAG_NOT_FOUND = 175,      /* FIRST_LOGICAL_DATAGRAM_FRAGMENT_NOT_FOUND */
};

/* Which hook decided. */
enum fl_policy_hook {
	FL_HOOK_TC = 0,
	FL_HOOK_CONNECT = 1, /* cgroup connect4/connect6 */
	FL_HOOK_SENDMSG = 2, /* cgroup sendmsg4/sendmsg6 */
};

/* Key of fl_policy (LPM trie). The first 72 bits (subject, peer, direction) are always part of
 * the prefix: prefixlen 72 = any protocol, 80 = this protocol and any port, 80 + n = the first
 * n bits of dport (port ranges are split into such prefixes by the compiler). peer 0 = any
 * peer. The kernel looks up (subject, peer, ...) and (subject, 0, ...) and combines them: a
 * deny from either wins, else an allow from either. Identities in host byte order (fully
 * matched, so byte order does not matter); dport in network byte order so prefixes are bits. */
struct fl_policy_key {
	__u32 prefixlen;
	__u32 subject_identity;
	__u32 peer_identity;
	__u8 direction; /* enum fl_policy_dir */
	__u8 proto;     /* IPPROTO_TCP, IPPROTO_UDP, ...; covered only when prefixlen >= 80 */
	__u16 dport;    /* network byte order; covered by prefixlen - 80 bits */
};

struct fl_policy_value {
	__u32 rule_id;  /* compiler's id of the rule set that produced this entry (names, kinds) */
	__u8 action;    /* enum fl_policy_action */
	__u8 flags;     /* enum fl_policy_flag */
	__u8 l4_match;  /* 0 any protocol, 1 protocol only, 2 protocol and port: policy_match_type */
	__u8 pad;
};

/* Value of fl_endpoints (key: host-side ifindex, __u32) and fl_cgroups (key: cgroup id, __u64).
 * A direction that is not enforced allows everything and reports no verdicts. */
struct fl_endpoint_info {
	__u32 endpoint_id; /* collector's local endpoint id */
	__u32 identity;
	__u8 enforce;      /* bit 0: ingress enforced, bit 1: egress enforced */
	__u8 audit;        /* bit 0/1: default deny of that direction is audit only */
	__u8 pad[2];
};

/* Key of fl_ipcache (LPM trie): IPv4 as ::ffff:a.b.c.d with prefixlen 96 + v4 bits. A miss is
 * world (2). Endpoint addresses are /128 entries; CIDR identities are shorter prefixes. */
struct fl_ipcache_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct fl_ipcache_value {
	__u32 identity;
	__u32 endpoint_id; /* local endpoint owning the address, 0 for CIDRs and remote addresses */
};

/* Connection tracking for policy (LRU hash): one entry per connection and decided direction,
 * keyed by the tuple of the packet that opened it (addresses as in fl_flow_key, ICMP type/code
 * in the ports). A packet matching an entry passes; one whose reversed tuple matches an entry of
 * the opposite direction is a reply and passes. */
struct fl_ct_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 direction; /* enum fl_policy_dir of the subject that allowed it */
	__u8 pad[2];
};

/* fl_ct_value.flags */
enum fl_ct_flag {
	FL_CTF_L7 = 1,      /* connection belongs to the L7 proxy (sk_lookup assigns it) */
	FL_CTF_CLOSING = 2, /* FIN or RST seen */
};

struct fl_ct_value {
	__u64 created_ns;
	__u64 last_ns;
	__u32 rule_id;
	__u32 subject_identity;
	__u32 endpoint_id; /* subject endpoint */
	__u8 verdict;      /* enum fl_verdict it was admitted with */
	__u8 flags;        /* enum fl_ct_flag */
	__u8 pad[2];
};

/* FL_REC_POLICY: one decision. From tc: key as the packet (ifindex, tc_dir). From socket hooks:
 * saddr/sport as far as known (0 before bind), ifindex 0, pid/cgroup set. */
struct fl_policy_record {
	struct fl_record_hdr hdr;
	struct fl_flow_key key;
	__u32 subject_identity;
	__u32 peer_identity;
	__u32 rule_id;     /* deciding entry's rule id; 0 = no entry matched (default deny) */
	__u8 direction;    /* enum fl_policy_dir */
	__u8 verdict;      /* enum fl_verdict */
	__u8 match_type;   /* Cilium policy_match_type: 0 none, 1 L3, 2 L3L4, 3 L4, 4 all, 5 L3+proto, 6 proto */
	__u8 hook;         /* enum fl_policy_hook */
	__u16 drop_reason; /* enum fl_policy_drop_reason when verdict is DROPPED (or AUDIT), else 0 */
	__u16 tcp_flags;
	__u32 pid;
	__u32 endpoint_id; /* subject endpoint */
	__u64 cgroup_id;
};

/* Key of fl_frags (LRU hash): one fragmented datagram, as Cilium's fragment map. Addresses as
 * in fl_flow_key; id is the IPv4 identification (16 bits) or the IPv6 fragment header's (32). */
struct fl_frag_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 id;        /* host byte order */
	__u8 proto;
	__u8 ip_version; /* 4 or 6 */
	__u8 pad[2];
};

/* Value of fl_frags: the first fragment's ports (host order, ICMP type/code), which the later
 * fragments take so that CT and policy decide them as the first. */
struct fl_frag_value {
	__u16 sport;
	__u16 dport;
};

/* Read-only configuration, set from user space before load (.rodata). */
struct fl_config {
	__u64 report_interval_ns;     /* periodic counter records for long flows; 0 = never */
	__u32 wakeup_threshold_bytes; /* force a ring-buffer wakeup past this much unread data */
	__u32 pad;
};

_Static_assert(sizeof(struct fl_record_hdr) == 16, "fl_record_hdr size");
_Static_assert(sizeof(struct fl_flow_key) == 44, "fl_flow_key size");
_Static_assert(sizeof(struct fl_flow_stats) == 88, "fl_flow_stats size");
_Static_assert(sizeof(struct fl_flow_record) == 152, "fl_flow_record size");
_Static_assert(sizeof(struct fl_drop_record) == 80, "fl_drop_record size");
_Static_assert(sizeof(struct fl_sock_record) == 96, "fl_sock_record size");
_Static_assert(sizeof(struct fl_retrans_record) == 64, "fl_retrans_record size");
_Static_assert(sizeof(struct fl_ip_key) == 16, "fl_ip_key size");
_Static_assert(sizeof(struct fl_config) == 16, "fl_config size");
_Static_assert(sizeof(struct fl_policy_key) == 16, "fl_policy_key size");
_Static_assert(sizeof(struct fl_policy_value) == 8, "fl_policy_value size");
_Static_assert(sizeof(struct fl_endpoint_info) == 12, "fl_endpoint_info size");
_Static_assert(sizeof(struct fl_ipcache_key) == 20, "fl_ipcache_key size");
_Static_assert(sizeof(struct fl_ipcache_value) == 8, "fl_ipcache_value size");
_Static_assert(sizeof(struct fl_ct_key) == 40, "fl_ct_key size");
_Static_assert(sizeof(struct fl_ct_value) == 32, "fl_ct_value size");
_Static_assert(sizeof(struct fl_policy_record) == 96, "fl_policy_record size");
_Static_assert(sizeof(struct fl_frag_key) == 40, "fl_frag_key size");
_Static_assert(sizeof(struct fl_frag_value) == 4, "fl_frag_value size");

#endif /* FLOWLENS_ABI_H */
