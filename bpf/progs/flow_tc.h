/* Flow accounting for the tc programs (tc.h): per flow direction counters in fl_flows,
 * ring-buffer records only on events. */
#ifndef FLOWLENS_FLOW_TC_H
#define FLOWLENS_FLOW_TC_H

#define FL_EEXIST 17
#define FL_FLOW_ID_MASK ((1ULL << 52) - 1)
#define FL_ICMP_NO_PEER 0xffff /* no ICMP type is this large, so the reverse lookup misses */

/* ICMP request/reply counterparts, so an echo reply finds its request as the reverse flow. */
static __always_inline __u16 fl_icmp_peer_type(__u8 proto, __u16 type)
{
	if (proto == IPPROTO_ICMP) {
		if (type == 8)  return 0;   /* echo request -> echo reply */
		if (type == 0)  return 8;
		if (type == 13) return 14;  /* timestamp */
		if (type == 14) return 13;
	} else {
		if (type == 128) return 129; /* ICMPv6 echo request -> reply */
		if (type == 129) return 128;
	}
	return FL_ICMP_NO_PEER;
}

/* Ports of the reply direction: swapped; for ICMP (type, code) the counterpart type, same code.
 * Shared with the policy CT (fl_ct_reverse). */
static __always_inline void fl_reverse_ports(__u8 proto, __u16 sport, __u16 dport, __u16 *rsport, __u16 *rdport)
{
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		*rsport = fl_icmp_peer_type(proto, sport);
		*rdport = dport;
	} else {
		*rsport = dport;
		*rdport = sport;
	}
}

/* The other direction of the same connection on the same interface: on a host-side veth the
 * request is seen at tc ingress and the reply at tc egress, so tc_dir flips too. */
static __always_inline void fl_reverse_key(const struct fl_flow_key *k, struct fl_flow_key *r)
{
	__builtin_memset(r, 0, sizeof(*r));
	__builtin_memcpy(r->saddr, k->daddr, sizeof(r->saddr));
	__builtin_memcpy(r->daddr, k->saddr, sizeof(r->daddr));
	r->ifindex = k->ifindex;
	r->proto = k->proto;
	r->ip_version = k->ip_version;
	r->tc_dir = k->tc_dir == FL_TC_INGRESS ? FL_TC_EGRESS : FL_TC_INGRESS;
	fl_reverse_ports(k->proto, k->sport, k->dport, &r->sport, &r->dport);
}

static __always_inline struct fl_flow_stats *fl_lookup_reverse(const struct fl_flow_key *key)
{
	struct fl_flow_key rkey;

	fl_reverse_key(key, &rkey);
	return bpf_map_lookup_elem(&fl_flows, &rkey);
}

static __always_inline void fl_emit_flow(const struct fl_flow_key *key,
					 const struct fl_flow_stats *st, __u16 events, __u8 tcp_flags)
{
	struct fl_flow_record *rec = fl_rec_reserve(sizeof(*rec), FL_REC_FLOW);

	if (!rec)
		return;
	__builtin_memcpy(&rec->key, key, sizeof(rec->key));
	rec->events = events;
	rec->tcp_flags = tcp_flags;
	__builtin_memcpy(&rec->stats, st, sizeof(rec->stats));
	fl_rec_submit(rec);
}

/* END: this packet is an RST, or a FIN while the reverse direction already sent its FIN. */
static __always_inline int fl_completes_flow(const struct fl_flow_key *key, __u8 new_flags)
{
	struct fl_flow_stats *rev;

	if (new_flags & FL_TCP_RST)
		return 1;
	if (!(new_flags & FL_TCP_FIN))
		return 0;
	rev = fl_lookup_reverse(key);
	return rev && (rev->tcp_flags_seen & FL_TCP_FIN);
}

/* First packet of a flow direction: insert and emit NEW (+ TCP_FLAGS/END). Returns the existing
 * entry when another CPU inserted it first, NULL when done (inserted, or the map is full). */
static __always_inline struct fl_flow_stats *fl_flow_create(const struct fl_packet *pkt,
							   __u32 len, __u64 now)
{
	const struct fl_flow_key *key = &pkt->key;
	__u8 flags = pkt->tcp_flags;
	__u8 syn_ack = (flags & (FL_TCP_SYN | FL_TCP_ACK)) == (FL_TCP_SYN | FL_TCP_ACK);
	__u8 syn_only = (flags & (FL_TCP_SYN | FL_TCP_ACK)) == FL_TCP_SYN;
	struct fl_flow_stats *rev = fl_lookup_reverse(key);
	struct fl_flow_stats st;
	__u16 events = FL_EV_NEW;
	long err;

	__builtin_memset(&st, 0, sizeof(st));
	st.flow_id = (((__u64)bpf_get_prandom_u32() << 20) ^ (now & 0xfffff)) & FL_FLOW_ID_MASK;
	st.first_ns = now;
	st.last_ns = now;
	st.packets = 1;
	st.bytes = len;
	st.last_report_ns = now;
	st.tcp_flags_seen = flags;
	if (syn_only)
		st.syn_ns = now;
	if (syn_ack && rev && rev->syn_ns)
		st.rtt_ns = now - rev->syn_ns;
	/* is_reply: a SYN-ACK always; a bare SYN never; anything else when the reverse exists. */
	st.is_reply = syn_ack || (!syn_only && rev != NULL);
	st.ended = (flags & (FL_TCP_FIN | FL_TCP_RST)) != 0;
	__builtin_memcpy(st.eth_src, pkt->eth_src, 6);
	__builtin_memcpy(st.eth_dst, pkt->eth_dst, 6);

	err = bpf_map_update_elem(&fl_flows, key, &st, BPF_NOEXIST);
	if (err == -FL_EEXIST)
		return bpf_map_lookup_elem(&fl_flows, key);
	if (err) {
		fl_stat_add(FL_STAT_FLOW_MAP_FULL, 1);
		return NULL;
	}
	if (flags & (FL_TCP_SYN | FL_TCP_FIN | FL_TCP_RST))
		events |= FL_EV_TCP_FLAGS;
	if ((flags & FL_TCP_RST) ||
	    ((flags & FL_TCP_FIN) && rev && (rev->tcp_flags_seen & FL_TCP_FIN)))
		events |= FL_EV_END;
	fl_emit_flow(key, &st, events, flags);
	return NULL;
}

/* Account one parsed packet of `len` bytes (skb->len) to its flow direction. */
static __always_inline void fl_flow_account(const struct fl_packet *pkt, __u32 len)
{
	const struct fl_flow_key *key = &pkt->key;
	__u64 now = bpf_ktime_get_ns();
	__u8 flags = pkt->tcp_flags;
	struct fl_flow_stats *st;
	__u16 events = 0;
	__u8 new_flags;

	st = bpf_map_lookup_elem(&fl_flows, key);
	/* A bare SYN on a connection that already ended (either side sent FIN or RST) is a new
	 * connection reusing the tuple (a retry after RST, a fixed source port): start both
	 * directions over instead of merging into the old flow. A SYN retransmit of a live attempt
	 * finds neither side ended and is counted as before. */
	if (st && (flags & FL_TCP_SYN) && !(flags & FL_TCP_ACK)) {
		struct fl_flow_key rkey;
		struct fl_flow_stats *rev;

		fl_reverse_key(key, &rkey);
		rev = bpf_map_lookup_elem(&fl_flows, &rkey);
		if (st->ended || (rev && rev->ended)) {
			bpf_map_delete_elem(&fl_flows, key);
			bpf_map_delete_elem(&fl_flows, &rkey);
			st = NULL;
		}
	}
	if (!st) {
		st = fl_flow_create(pkt, len, now);
		if (!st)
			return;
	}

	/* Counters are shared by all CPUs; the other fields tolerate a lost race. */
	__sync_fetch_and_add(&st->packets, 1);
	__sync_fetch_and_add(&st->bytes, len);
	st->last_ns = now;

	new_flags = flags & ~st->tcp_flags_seen;
	if (new_flags) {
		st->tcp_flags_seen |= flags;
		if (new_flags & (FL_TCP_SYN | FL_TCP_FIN | FL_TCP_RST))
			events |= FL_EV_TCP_FLAGS;
		if (new_flags & FL_TCP_SYN) {
			if (flags & FL_TCP_ACK) {
				struct fl_flow_stats *rev = fl_lookup_reverse(key);

				st->is_reply = 1;
				if (rev && rev->syn_ns)
					st->rtt_ns = now - rev->syn_ns;
			} else {
				st->syn_ns = now;
			}
		}
		if (fl_completes_flow(key, new_flags))
			events |= FL_EV_END;
	}
	if (flags & (FL_TCP_FIN | FL_TCP_RST))
		st->ended = 1;
	if (fl_cfg.report_interval_ns && now - st->last_report_ns >= fl_cfg.report_interval_ns)
		events |= FL_EV_PERIODIC;
	if (!events)
		return;
	st->last_report_ns = now;
	fl_emit_flow(key, st, events, flags);
}

#endif
