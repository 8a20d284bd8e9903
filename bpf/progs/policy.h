/* L3/L4 policy: identity lookup, the fl_policy decision (docs/policy.md "Kernel lookup"), policy
 * records, and connection tracking for the tc hooks. The decision is shared with the socket hooks
 * (sock_policy.h); the CT key is shared with the L7 redirect (sk_lookup) through fl_ct_key_from. */
#ifndef FLOWLENS_POLICY_H
#define FLOWLENS_POLICY_H

#define TC_ACT_SHOT 2

#define FL_WORLD_IDENTITY 2
#define FL_POLICY_FULL_PREFIX 96  /* subject, peer, direction (72) + proto (8) + dport (16) */
#define FL_IPCACHE_FULL_PREFIX 128
#define FL_CT_TOUCH_NS 1000000000ULL /* last_ns is refreshed at most once a second per entry */

/* ---- connection tracking keys ------------------------------------------------------------ */

/* CT key of a packet (or a socket's tuple) as seen by the subject deciding in `direction`:
 * addresses and ports exactly as in fl_flow_key (IPv4 in the first 4 bytes, ports in host
 * order, ICMP type/code in sport/dport). The L7 redirect builds the key of a connection arriving
 * at an endpoint with saddr = client, daddr = endpoint, direction FL_POL_INGRESS. */
static __always_inline void fl_ct_key_from(struct fl_ct_key *ct, const struct fl_flow_key *k, __u8 direction)
{
	__builtin_memset(ct, 0, sizeof(*ct));
	__builtin_memcpy(ct->saddr, k->saddr, sizeof(ct->saddr));
	__builtin_memcpy(ct->daddr, k->daddr, sizeof(ct->daddr));
	ct->sport = k->sport;
	ct->dport = k->dport;
	ct->proto = k->proto;
	ct->direction = direction;
}

/* The entry a reply would match: reversed tuple, opposite direction (ICMP: request type). */
static __always_inline void fl_ct_reverse(const struct fl_ct_key *k, struct fl_ct_key *r)
{
	__builtin_memset(r, 0, sizeof(*r));
	__builtin_memcpy(r->saddr, k->daddr, sizeof(r->saddr));
	__builtin_memcpy(r->daddr, k->saddr, sizeof(r->daddr));
	r->proto = k->proto;
	r->direction = k->direction == FL_POL_INGRESS ? FL_POL_EGRESS : FL_POL_INGRESS;
	fl_reverse_ports(k->proto, k->sport, k->dport, &r->sport, &r->dport);
}

/* ---- identities ------------------------------------------------------------------------- */

/* Identity of an address (16 bytes as in fl_flow_key; IPv4 in the first 4). Miss = world. */
static __always_inline __u32 fl_identity_of(const __u8 *addr, __u8 ip_version)
{
	struct fl_ipcache_key k;
	struct fl_ipcache_value *v;

	__builtin_memset(&k, 0, sizeof(k));
	k.prefixlen = FL_IPCACHE_FULL_PREFIX;
	if (ip_version == 4) {
		k.addr[10] = 0xff;
		k.addr[11] = 0xff;
		__builtin_memcpy(&k.addr[12], addr, 4);
	} else {
		__builtin_memcpy(k.addr, addr, 16);
	}
	v = bpf_map_lookup_elem(&fl_ipcache, &k);
	return v ? v->identity : FL_WORLD_IDENTITY;
}

/* ---- the decision ------------------------------------------------------------------------ */

struct fl_pol_decision {
	__u32 rule_id;     /* deciding entry, 0 = none (default deny) */
	__u16 drop_reason; /* enum fl_policy_drop_reason, 0 when allowed */
	__u8 verdict;      /* enum fl_verdict */
	__u8 match_type;   /* Cilium policy_match_type */
	__u8 pass;         /* 1: let it through (FORWARDED, REDIRECTED, AUDIT) */
	__u8 l7;           /* allowed with FL_POLF_L7 */
};

static __always_inline struct fl_policy_value *fl_policy_lookup(__u32 subject, __u32 peer, __u8 dir,
							       __u8 proto, __u16 dport)
{
	struct fl_policy_key k = {
		.prefixlen = FL_POLICY_FULL_PREFIX,
		.subject_identity = subject,
		.peer_identity = peer,
		.direction = dir,
		.proto = proto,
		.dport = bpf_htons(dport),
	};

	return bpf_map_lookup_elem(&fl_policy, &k);
}

/* Cilium's policy_match_type of the deciding entry: peer-specific or any peer x l4_match. */
static __always_inline __u8 fl_match_type(const struct fl_policy_value *v, int peer_specific)
{
	if (peer_specific)
		return v->l4_match == 0 ? 1 /* L3 */ : v->l4_match == 1 ? 5 /* L3+proto */ : 2 /* L3L4 */;
	return v->l4_match == 0 ? 4 /* all */ : v->l4_match == 1 ? 6 /* proto */ : 3 /* L4 */;
}

/* docs/policy.md "Kernel lookup", steps 2-5, for a subject whose direction `dir` is enforced.
 * a = (subject, peer), b = (subject, any peer); a deny in a (else b) decides, else an allow in a
 * (else b); REDIRECTED when either allow carries the L7 flag (ingress only). dport in host order;
 * protocols without ports look up port 0. @flowlens/policy's lookup() is this function in TS. */
static __always_inline void fl_policy_decide(const struct fl_endpoint_info *ep, __u32 peer, __u8 dir,
					     __u8 proto, __u16 dport, struct fl_pol_decision *d)
{
	__u16 port = proto == IPPROTO_TCP || proto == IPPROTO_UDP ? dport : 0;
	struct fl_policy_value *a = fl_policy_lookup(ep->identity, peer, dir, proto, port);
	struct fl_policy_value *b = fl_policy_lookup(ep->identity, 0, dir, proto, port);
	struct fl_policy_value *deny = NULL, *allow = NULL;
	/* An entry found under the peer's own identity is an L3 match; peer 0 has only any-peer entries. */
	int from_peer = peer != 0, deny_specific = 0, allow_specific = 0;

	__builtin_memset(d, 0, sizeof(*d));
	if (a && a->action == FL_POL_DENY) {
		deny = a;
		deny_specific = from_peer;
	} else if (b && b->action == FL_POL_DENY) {
		deny = b;
	}
	if (deny) {
		d->rule_id = deny->rule_id;
		d->match_type = fl_match_type(deny, deny_specific);
		d->drop_reason = FL_DROP_POLICY_DENY;
		d->pass = (deny->flags & FL_POLF_AUDIT) != 0;
		d->verdict = d->pass ? FL_VERDICT_AUDIT : FL_VERDICT_DROPPED;
		return;
	}
	if (a && a->action == FL_POL_ALLOW) {
		allow = a;
		allow_specific = from_peer;
	} else if (b && b->action == FL_POL_ALLOW) {
		allow = b;
	}
	if (allow) {
		d->rule_id = allow->rule_id;
		d->match_type = fl_match_type(allow, allow_specific);
		d->pass = 1;
		d->l7 = dir == FL_POL_INGRESS &&
			(((a && a->action == FL_POL_ALLOW && (a->flags & FL_POLF_L7)) ||
			  (b && b->action == FL_POL_ALLOW && (b->flags & FL_POLF_L7))));
		d->verdict = d->l7 ? FL_VERDICT_REDIRECTED : FL_VERDICT_FORWARDED;
		return;
	}
	d->drop_reason = FL_DROP_POLICY_DENIED;
	d->pass = (ep->audit & (1 << dir)) != 0;
	d->verdict = d->pass ? FL_VERDICT_AUDIT : FL_VERDICT_DROPPED;
}

/* One FL_REC_POLICY record; the caller fills the hook-specific fields through `key`, pid, cgroup. */
static __always_inline void fl_emit_policy(const struct fl_flow_key *key, const struct fl_endpoint_info *ep,
					   __u32 peer, __u8 dir, const struct fl_pol_decision *d, __u8 hook,
					   __u8 tcp_flags, __u32 pid, __u64 cgroup_id)
{
	struct fl_policy_record *rec = fl_rec_reserve(sizeof(*rec), FL_REC_POLICY);

	if (!rec)
		return;
	__builtin_memcpy(&rec->key, key, sizeof(rec->key));
	rec->subject_identity = ep->identity;
	rec->peer_identity = peer;
	rec->rule_id = d->rule_id;
	rec->direction = dir;
	rec->verdict = d->verdict;
	rec->match_type = d->match_type;
	rec->hook = hook;
	rec->drop_reason = d->drop_reason;
	rec->tcp_flags = tcp_flags;
	rec->pid = pid;
	rec->endpoint_id = ep->endpoint_id;
	rec->cgroup_id = cgroup_id;
	fl_rec_submit(rec);
}

/* ---- tc enforcement ---------------------------------------------------------------------- */

/* Packets that never go through policy: IPv6 neighbour discovery (without it no IPv6 works).
 * Later fragments come here with their first fragment's ports (frag.h), or not at all. */
static __always_inline int fl_policy_exempt(const struct fl_packet *pkt)
{
	return pkt->key.proto == IPPROTO_ICMPV6 && pkt->has_l4 && pkt->key.sport >= 133 &&
	       pkt->key.sport <= 137;
}

static __always_inline void fl_ct_touch(struct fl_ct_value *v, __u8 tcp_flags, __u64 now)
{
	if (now - v->last_ns > FL_CT_TOUCH_NS)
		v->last_ns = now;
	if ((tcp_flags & (FL_TCP_FIN | FL_TCP_RST)) && !(v->flags & FL_CTF_CLOSING))
		v->flags |= FL_CTF_CLOSING;
}

static __always_inline void fl_ct_insert(const struct fl_ct_key *k, const struct fl_endpoint_info *ep,
					 const struct fl_pol_decision *d, __u8 tcp_flags, __u64 now)
{
	struct fl_ct_value v;

	__builtin_memset(&v, 0, sizeof(v));
	v.created_ns = now;
	v.last_ns = now;
	v.rule_id = d->rule_id;
	v.subject_identity = ep->identity;
	v.endpoint_id = ep->endpoint_id;
	v.verdict = d->verdict;
	if (d->l7)
		v.flags |= FL_CTF_L7;
	if (tcp_flags & (FL_TCP_FIN | FL_TCP_RST))
		v.flags |= FL_CTF_CLOSING;
	if (bpf_map_update_elem(&fl_ct, k, &v, BPF_ANY))
		fl_stat_add(FL_STAT_CT_MAP_FULL, 1);
}

/* Policy at the host-side veth of an endpoint; returns TC_ACT_OK or TC_ACT_SHOT. tc ingress carries
 * what the endpoint sends (its egress policy, peer = destination), tc egress what it receives (its
 * ingress policy, peer = source). Established traffic costs the endpoint and CT lookups only. */
static __always_inline int fl_policy_tc(const struct fl_packet *pkt)
{
	const struct fl_flow_key *key = &pkt->key;
	__u32 ifindex = key->ifindex;
	struct fl_endpoint_info *ep = bpf_map_lookup_elem(&fl_endpoints, &ifindex);
	__u8 dir = key->tc_dir == FL_TC_INGRESS ? FL_POL_EGRESS : FL_POL_INGRESS;
	__u8 flags = pkt->tcp_flags;
	int syn_only = key->proto == IPPROTO_TCP && (flags & (FL_TCP_SYN | FL_TCP_ACK)) == FL_TCP_SYN;
	struct fl_ct_key ck, rk;
	struct fl_ct_value *ct;
	struct fl_pol_decision d;
	__u64 now;
	__u32 peer;

	if (!ep || fl_policy_exempt(pkt))
		return TC_ACT_OK;
	now = bpf_ktime_get_ns();
	fl_ct_key_from(&ck, key, dir);
	ct = bpf_map_lookup_elem(&fl_ct, &ck);
	if (!ct) {
		fl_ct_reverse(&ck, &rk);
		ct = bpf_map_lookup_elem(&fl_ct, &rk);
	}
	/* A bare SYN on a closing connection reuses its tuple: a new connection, decided anew. */
	if (ct && !(syn_only && (ct->flags & FL_CTF_CLOSING))) {
		fl_ct_touch(ct, flags, now);
		return TC_ACT_OK;
	}

	if (!(ep->enforce & (1 << dir))) {
		/* Track it anyway, so its replies pass once a policy starts enforcing the other way. */
		__builtin_memset(&d, 0, sizeof(d));
		d.verdict = FL_VERDICT_FORWARDED;
		fl_ct_insert(&ck, ep, &d, flags, now);
		return TC_ACT_OK;
	}
	peer = fl_identity_of(dir == FL_POL_EGRESS ? key->daddr : key->saddr, key->ip_version);
	fl_policy_decide(ep, peer, dir, key->proto, key->dport, &d);
	fl_emit_policy(key, ep, peer, dir, &d, FL_HOOK_TC, flags, 0, 0);
	if (!d.pass) {
		fl_stat_add(FL_STAT_POLICY_DROPS, 1);
		return TC_ACT_SHOT;
	}
	fl_ct_insert(&ck, ep, &d, flags, now);
	return TC_ACT_OK;
}

/* A packet policy cannot decide on (unreadable headers, a fragment without its first): dropped
 * with pkt->drop_reason, counted and reported where the direction is enforced; passed elsewhere. */
static __always_inline int fl_policy_unreadable(const struct fl_packet *pkt)
{
	const struct fl_flow_key *key = &pkt->key;
	__u32 ifindex = key->ifindex;
	struct fl_endpoint_info *ep = bpf_map_lookup_elem(&fl_endpoints, &ifindex);
	__u8 dir = key->tc_dir == FL_TC_INGRESS ? FL_POL_EGRESS : FL_POL_INGRESS;
	struct fl_pol_decision d;
	__u32 peer = 0;

	if (!ep || !(ep->enforce & (1 << dir)))
		return TC_ACT_OK;
	if (key->ip_version)
		peer = fl_identity_of(dir == FL_POL_EGRESS ? key->daddr : key->saddr, key->ip_version);
	__builtin_memset(&d, 0, sizeof(d));
	d.verdict = FL_VERDICT_DROPPED;
	d.drop_reason = pkt->drop_reason;
	fl_emit_policy(key, ep, peer, dir, &d, FL_HOOK_TC, pkt->tcp_flags, 0, 0);
	fl_stat_add(FL_STAT_INVALID_DROPS, 1);
	return TC_ACT_SHOT;
}

#endif
