/* L7 redirect (docs/policy.md "L7 HTTP"): an sk_lookup program attached to each L7 endpoint's
 * netns hands new TCP connections that tc admitted with FL_CTF_L7 to the L7 proxy's listening
 * socket for that endpoint. The accepted socket keeps the original destination as its local
 * address, so the proxy knows where to forward. Needs fl_ct and fl_ct_key_from (policy.h). */
#ifndef FLOWLENS_L7_REDIRECT_H
#define FLOWLENS_L7_REDIRECT_H

/* The proxy's listening sockets: key endpoint id for its IPv4 listener (127.0.0.1), endpoint id |
 * FL_L7_SOCK_V6 for its IPv6 one (::1) — a socket bound to ::1 is IPv6-only, and sk_assign takes
 * only a socket of the connection's family (or a dual-stack one bound to ::, which would listen on
 * every address of the pod). Value: the socket (user space writes the fd; lookups from user space
 * return the socket cookie). A closed socket leaves the map by itself: a dead proxy leaves no entry. */
#define FL_L7_SOCK_V6 0x80000000u

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} fl_l7_socks SEC(".maps");

SEC("sk_lookup")
int fl_sk_lookup(struct bpf_sk_lookup *ctx)
{
	struct fl_flow_key fk;
	struct fl_ct_key ck;
	struct fl_ct_value *ct;
	struct bpf_sock *sk;
	__u32 endpoint_id;
	long err;

	if (ctx->protocol != IPPROTO_TCP)
		return SK_PASS;
	__builtin_memset(&fk, 0, sizeof(fk));
	if (ctx->family == AF_INET) {
		/* Context fields are read whole into locals: the verifier rejects byte-wise ctx copies. */
		__u32 remote = ctx->remote_ip4, local = ctx->local_ip4;

		__builtin_memcpy(fk.saddr, &remote, 4);
		__builtin_memcpy(fk.daddr, &local, 4);
		/* Keeps clang from merging both branches' loads into one ctx + variable offset,
		 * which the verifier refuses ("dereference of modified ctx ptr"). */
		asm volatile("" ::: "memory");
	} else if (ctx->family == AF_INET6) {
		__u32 remote[4], local[4];

		remote[0] = ctx->remote_ip6[0];
		remote[1] = ctx->remote_ip6[1];
		remote[2] = ctx->remote_ip6[2];
		remote[3] = ctx->remote_ip6[3];
		local[0] = ctx->local_ip6[0];
		local[1] = ctx->local_ip6[1];
		local[2] = ctx->local_ip6[2];
		local[3] = ctx->local_ip6[3];
		__builtin_memcpy(fk.saddr, remote, 16);
		__builtin_memcpy(fk.daddr, local, 16);
		asm volatile("" ::: "memory");
	} else {
		return SK_PASS;
	}
	fk.sport = bpf_ntohs(ctx->remote_port);
	fk.dport = (__u16)ctx->local_port;
	fk.proto = IPPROTO_TCP;
	fl_ct_key_from(&ck, &fk, FL_POL_INGRESS);

	ct = bpf_map_lookup_elem(&fl_ct, &ck);
	if (!ct || !(ct->flags & FL_CTF_L7))
		return SK_PASS; /* not ours: the normal listener lookup goes on */
	endpoint_id = ct->endpoint_id | (ctx->family == AF_INET6 ? FL_L7_SOCK_V6 : 0);
	sk = bpf_map_lookup_elem(&fl_l7_socks, &endpoint_id);
	if (!sk)
		return SK_DROP; /* fail closed: no proxy, the client gets a reset */
	err = bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	return err ? SK_DROP : SK_PASS;
}

#endif
