/* The tc programs on each observed interface: parse, enforce policy (policy.h), account the
 * flow (flow_tc.h). */
#ifndef FLOWLENS_TC_H
#define FLOWLENS_TC_H

/* Shared body of both hooks: parse, fragments, policy, account. A packet policy drops is not
 * accounted (its policy record reports it); one that cannot be read or placed in its datagram is
 * dropped where policy enforces and passed unaccounted elsewhere. */
static __always_inline int fl_tc_handle(struct __sk_buff *skb, __u8 tc_dir)
{
	struct fl_packet pkt;
	int ret;

	__builtin_memset(&pkt, 0, sizeof(pkt));
	fl_stat_add(FL_STAT_PACKETS, 1);
	ret = fl_parse_skb(skb, &pkt);
	if (ret == FL_PARSE_SKIP)
		return TC_ACT_OK;
	if (ret == FL_PARSE_ERR)
		fl_stat_add(FL_STAT_PARSE_ERRORS, 1);
	pkt.key.ifindex = skb->ifindex;
	pkt.key.tc_dir = tc_dir;
	if (ret == FL_PARSE_OK)
		ret = fl_frag_resolve(&pkt);
	if (ret == FL_PARSE_ERR)
		return fl_policy_unreadable(&pkt);
	if (fl_policy_tc(&pkt) == TC_ACT_SHOT)
		return TC_ACT_SHOT;
	fl_flow_account(&pkt, skb->len);
	return TC_ACT_OK;
}

SEC("tc")
int fl_tc_ingress(struct __sk_buff *skb)
{
	return fl_tc_handle(skb, FL_TC_INGRESS);
}

SEC("tc")
int fl_tc_egress(struct __sk_buff *skb)
{
	return fl_tc_handle(skb, FL_TC_EGRESS);
}

#endif
