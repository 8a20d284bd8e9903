/* skb/kfree_skb: kernel drops (with their skb_drop_reason) of packets to or from observed endpoints. */
#ifndef FLOWLENS_TRACE_DROP_H
#define FLOWLENS_TRACE_DROP_H

/* Frees that are not packet drops: not-dropped-yet, consumed, the catch-all "not specified", and
 * queue purges (a closing socket freeing its own queued skbs, seen with len 0). */
static __always_inline int fl_drop_reason_ignored(__u32 reason)
{
	return reason == bpf_core_enum_value(enum skb_drop_reason, SKB_NOT_DROPPED_YET) ||
	       reason == bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED) ||
	       reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NOT_SPECIFIED) ||
	       reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_QUEUE_PURGE);
}

/* An echo reply nobody has a ping socket for is "dropped" with NO_SOCKET even though a raw-socket
 * ping (the default for root) received its copy: not a loss, and it would flag every ping. */
static __always_inline int fl_is_echo_reply_no_socket(__u32 reason, const struct fl_flow_key *key)
{
	if (reason != bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NO_SOCKET))
		return 0;
	return (key->proto == IPPROTO_ICMP && key->sport == 0) ||
	       (key->proto == IPPROTO_ICMPV6 && key->sport == 129);
}

SEC("tracepoint/skb/kfree_skb")
int fl_kfree_skb(struct trace_event_raw_kfree_skb *ctx)
{
	struct sk_buff *skb = ctx->skbaddr;
	__u32 reason = ctx->reason;
	struct fl_drop_record *rec;
	struct fl_packet pkt;
	unsigned char *head;
	__u16 nh_off;

	if (fl_drop_reason_ignored(reason))
		return 0;
	__builtin_memset(&pkt, 0, sizeof(pkt));
	head = BPF_CORE_READ(skb, head);
	nh_off = BPF_CORE_READ(skb, network_header);
	if (fl_parse_l3l4(head, FL_SRC_KERNEL, nh_off, bpf_ntohs(BPF_CORE_READ(skb, protocol)),
			  &pkt) != FL_PARSE_OK)
		return 0;
	if (fl_is_echo_reply_no_socket(reason, &pkt.key) || !fl_key_observed(&pkt.key))
		return 0;
	pkt.key.ifindex = BPF_CORE_READ(skb, dev, ifindex);

	rec = fl_rec_reserve(sizeof(*rec), FL_REC_DROP);
	if (!rec)
		return 0;
	__builtin_memcpy(&rec->key, &pkt.key, sizeof(pkt.key));
	rec->reason = reason;
	rec->skb_len = BPF_CORE_READ(skb, len);
	rec->tcp_flags = pkt.tcp_flags;
	rec->location = (__u64)ctx->location;
	fl_rec_submit(rec);
	return 0;
}

#endif
