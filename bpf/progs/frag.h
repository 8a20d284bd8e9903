/* IP fragments at tc, as Cilium handles them: the first fragment leaves its ports in fl_frags; a
 * later fragment takes them, so connection tracking and policy decide it as its first fragment. */
#ifndef FLOWLENS_FRAG_H
#define FLOWLENS_FRAG_H

static __always_inline void fl_frag_key_of(const struct fl_packet *pkt, struct fl_frag_key *k)
{
	__builtin_memset(k, 0, sizeof(*k));
	__builtin_memcpy(k->saddr, pkt->key.saddr, sizeof(k->saddr));
	__builtin_memcpy(k->daddr, pkt->key.daddr, sizeof(k->daddr));
	k->id = pkt->frag_id;
	k->proto = pkt->key.proto;
	k->ip_version = pkt->key.ip_version;
}

/* Fills a later fragment's ports from its first fragment; FL_PARSE_ERR (reason in pkt) when it
 * cannot be decided. Protocols without ports are decided on every fragment alike. */
static __always_inline int fl_frag_resolve(struct fl_packet *pkt)
{
	struct fl_frag_key k;
	struct fl_frag_value v, *found;

	if (pkt->frag == FL_FRAG_NONE || !fl_l4_min_len(pkt->key.proto))
		return FL_PARSE_OK;
	fl_frag_key_of(pkt, &k);
	if (pkt->frag == FL_FRAG_FIRST) {
		v.sport = pkt->key.sport;
		v.dport = pkt->key.dport;
		bpf_map_update_elem(&fl_frags, &k, &v, BPF_ANY); /* LRU: evicts, does not fail when full */
		return FL_PARSE_OK;
	}
	found = bpf_map_lookup_elem(&fl_frags, &k);
	if (!found)
		return fl_parse_fail(pkt, FL_DROP_FRAG_NOT_FOUND);
	/* Offset 8 bytes overlaps the TCP header's flags (RFC 1858): never legitimate, since a first
	 * fragment carries at least 48 bytes of payload at any valid MTU. */
	if (pkt->key.proto == IPPROTO_TCP && pkt->frag_off == 1)
		return fl_parse_fail(pkt, FL_DROP_INVALID_PACKET);
	pkt->key.sport = found->sport;
	pkt->key.dport = found->dport;
	pkt->has_l4 = 1;
	return FL_PARSE_OK;
}

#endif
