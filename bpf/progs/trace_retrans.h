/* tcp/tcp_retransmit_skb: retransmissions on sockets of observed endpoints. */
#ifndef FLOWLENS_TRACE_RETRANS_H
#define FLOWLENS_TRACE_RETRANS_H

SEC("tracepoint/tcp/tcp_retransmit_skb")
int fl_tcp_retransmit(struct trace_event_raw_tcp_retransmit_skb *ctx)
{
	struct fl_retrans_record *rec;
	struct fl_flow_key key;
	struct fl_tp_addrs a;

	/* One copy of the address block: clang would otherwise read the context at computed
	 * offsets, which the verifier rejects. */
	if (bpf_probe_read_kernel(&a, sizeof(a), ctx->saddr))
		return 0;
	__builtin_memset(&key, 0, sizeof(key));
	if (fl_key_from_sock_addrs(&key, ctx->family, &a))
		return 0;
	key.sport = ctx->sport; /* host order in the tracepoint */
	key.dport = ctx->dport;
	if (!fl_key_observed(&key))
		return 0;

	rec = fl_rec_reserve(sizeof(*rec), FL_REC_RETRANS);
	if (!rec)
		return 0;
	__builtin_memcpy(&rec->key, &key, sizeof(key));
	rec->tcp_state = ctx->state;
	fl_rec_submit(rec);
	return 0;
}

#endif
