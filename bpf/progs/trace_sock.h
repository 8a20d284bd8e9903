/* sock/inet_sock_set_state: TCP state changes of observed endpoints, with process attribution. */
#ifndef FLOWLENS_TRACE_SOCK_H
#define FLOWLENS_TRACE_SOCK_H

SEC("tracepoint/sock/inet_sock_set_state")
int fl_sock_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct fl_sock_record *rec;
	struct fl_flow_key key;
	struct fl_tp_addrs a;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	/* One copy of the address block: clang would otherwise read the context at computed
	 * offsets, which the verifier rejects. */
	if (bpf_probe_read_kernel(&a, sizeof(a), ctx->saddr))
		return 0;
	__builtin_memset(&key, 0, sizeof(key));
	if (fl_key_from_sock_addrs(&key, ctx->family, &a))
		return 0;
	key.sport = ctx->sport; /* the tracepoint stores ports in host order */
	key.dport = ctx->dport;
	if (!fl_key_observed(&key))
		return 0;

	rec = fl_rec_reserve(sizeof(*rec), FL_REC_SOCK);
	if (!rec)
		return 0;
	__builtin_memcpy(&rec->key, &key, sizeof(key));
	rec->old_state = ctx->oldstate;
	rec->new_state = ctx->newstate;
	rec->pid = bpf_get_current_pid_tgid() >> 32;
	rec->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(rec->comm, sizeof(rec->comm));
	fl_rec_submit(rec);
	return 0;
}

#endif
