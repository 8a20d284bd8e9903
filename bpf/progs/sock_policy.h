/* Egress policy at the socket: cgroup connect4/6 and sendmsg4/6 refuse a denied destination in
 * the system call itself (EPERM), before a packet exists. Subjects are endpoints whose processes
 * live in a declared cgroup (fl_cgroups); the decision is fl_policy_decide, as in tc. */
#ifndef FLOWLENS_SOCK_POLICY_H
#define FLOWLENS_SOCK_POLICY_H

#define FL_MAX_CGROUP_LEVELS 16

/* The endpoint of the calling process: its own cgroup, else the nearest declared ancestor
 * (processes may sit in child cgroups of the declared one). */
static __always_inline struct fl_endpoint_info *fl_cgroup_endpoint(__u64 *cgroup_id)
{
	struct fl_endpoint_info *ep, *found = NULL;
	__u64 id = bpf_get_current_cgroup_id();

	ep = bpf_map_lookup_elem(&fl_cgroups, &id);
	if (ep) {
		*cgroup_id = id;
		return ep;
	}
	/* Ancestors from the root down; the deepest declared one wins. Level 0 is the root. */
	for (int level = 1; level < FL_MAX_CGROUP_LEVELS; level++) {
		__u64 anc = bpf_get_current_ancestor_cgroup_id(level);

		if (anc == 0 || anc == id)
			break;
		ep = bpf_map_lookup_elem(&fl_cgroups, &anc);
		if (ep) {
			found = ep;
			*cgroup_id = anc;
		}
	}
	return found;
}

static __always_inline int fl_is_loopback(const struct fl_flow_key *k)
{
	if (k->ip_version == 4)
		return k->daddr[0] == 127;
	for (int i = 0; i < 15; i++)
		if (k->daddr[i])
			return 0;
	return k->daddr[15] == 1;
}

/* Destination (and source, as far as the socket knows it) of the call. Every context field is
 * read once, at a constant offset (the verifier rejects context reads at computed offsets). */
static __always_inline void fl_sock_key4(struct bpf_sock_addr *ctx, struct fl_flow_key *k)
{
	__u32 d = ctx->user_ip4;
	__u32 port = ctx->user_port;
	__u32 proto = ctx->protocol;
	struct bpf_sock *sk = ctx->sk;

	__builtin_memset(k, 0, sizeof(*k));
	k->ip_version = 4;
	k->proto = proto;
	k->dport = bpf_ntohs((__u16)port);
	__builtin_memcpy(k->daddr, &d, 4);
	if (sk) {
		__u32 s = sk->src_ip4;

		k->sport = (__u16)sk->src_port;
		__builtin_memcpy(k->saddr, &s, 4);
	}
}

/* IPv6; an IPv4-mapped destination (dual-stack socket talking IPv4) is keyed as IPv4. */
static __always_inline void fl_sock_key6(struct bpf_sock_addr *ctx, struct fl_flow_key *k)
{
	__u32 d0 = ctx->user_ip6[0], d1 = ctx->user_ip6[1], d2 = ctx->user_ip6[2], d3 = ctx->user_ip6[3];
	__u32 port = ctx->user_port;
	__u32 proto = ctx->protocol;
	struct bpf_sock *sk = ctx->sk;
	int mapped = d0 == 0 && d1 == 0 && d2 == bpf_htonl(0xffff);

	__builtin_memset(k, 0, sizeof(*k));
	k->proto = proto;
	k->dport = bpf_ntohs((__u16)port);
	if (sk)
		k->sport = (__u16)sk->src_port;
	if (mapped) {
		k->ip_version = 4;
		__builtin_memcpy(k->daddr, &d3, 4);
		return;
	}
	k->ip_version = 6;
	__builtin_memcpy(&k->daddr[0], &d0, 4);
	__builtin_memcpy(&k->daddr[4], &d1, 4);
	__builtin_memcpy(&k->daddr[8], &d2, 4);
	__builtin_memcpy(&k->daddr[12], &d3, 4);
	if (sk) {
		__u32 s0 = sk->src_ip6[0], s1 = sk->src_ip6[1], s2 = sk->src_ip6[2], s3 = sk->src_ip6[3];

		__builtin_memcpy(&k->saddr[0], &s0, 4);
		__builtin_memcpy(&k->saddr[4], &s1, 4);
		__builtin_memcpy(&k->saddr[8], &s2, 4);
		__builtin_memcpy(&k->saddr[12], &s3, 4);
	}
}

/* 1 = allow the call, 0 = refuse it (the caller gets EPERM). */
static __always_inline int fl_sock_policy(struct bpf_sock_addr *ctx, int v6, __u8 hook)
{
	struct fl_endpoint_info *ep;
	struct fl_pol_decision d;
	struct fl_flow_key k;
	__u64 cgroup_id = 0;
	__u32 peer;

	ep = fl_cgroup_endpoint(&cgroup_id);
	if (!ep || !(ep->enforce & (1 << FL_POL_EGRESS)))
		return 1;
	if (v6)
		fl_sock_key6(ctx, &k);
	else
		fl_sock_key4(ctx, &k);
	if (fl_is_loopback(&k)) /* inside the endpoint's own network namespace */
		return 1;
	peer = fl_identity_of(k.daddr, k.ip_version);
	fl_policy_decide(ep, peer, FL_POL_EGRESS, k.proto, k.dport, &d);
	if (d.pass)
		return 1; /* the tc hook reports the connection (and an audit) */
	fl_emit_policy(&k, ep, peer, FL_POL_EGRESS, &d, hook, 0, bpf_get_current_pid_tgid() >> 32, cgroup_id);
	fl_stat_add(FL_STAT_POLICY_DROPS, 1);
	return 0;
}

SEC("cgroup/connect4")
int fl_connect4(struct bpf_sock_addr *ctx)
{
	return fl_sock_policy(ctx, 0, FL_HOOK_CONNECT);
}

SEC("cgroup/connect6")
int fl_connect6(struct bpf_sock_addr *ctx)
{
	return fl_sock_policy(ctx, 1, FL_HOOK_CONNECT);
}

SEC("cgroup/sendmsg4")
int fl_sendmsg4(struct bpf_sock_addr *ctx)
{
	return fl_sock_policy(ctx, 0, FL_HOOK_SENDMSG);
}

SEC("cgroup/sendmsg6")
int fl_sendmsg6(struct bpf_sock_addr *ctx)
{
	return fl_sock_policy(ctx, 1, FL_HOOK_SENDMSG);
}

#endif
