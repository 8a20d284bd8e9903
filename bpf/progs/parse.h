/* L2-L4 parsing into a flow key, shared by the tc programs (skb) and kfree_skb (kernel memory). */
#ifndef FLOWLENS_PARSE_H
#define FLOWLENS_PARSE_H

enum fl_parse_result {
	FL_PARSE_OK = 0,
	FL_PARSE_SKIP = 1,  /* not IPv4/IPv6: nothing to count */
	FL_PARSE_ERR = -1,  /* truncated or malformed headers */
};

/* Where fl_load reads from; always a compile-time constant so the other branch (and its helper,
 * which the other program type may not have) is folded away. */
enum fl_src {
	FL_SRC_SKB = 0,    /* src is a struct __sk_buff *, offsets from the MAC header */
	FL_SRC_KERNEL = 1, /* src is a kernel address (skb->head), offsets from it */
};

/* Where a packet sits in a fragmented datagram. */
enum fl_frag_kind {
	FL_FRAG_NONE = 0,
	FL_FRAG_FIRST = 1, /* offset 0, more fragments follow: carries the L4 header */
	FL_FRAG_LATER = 2, /* offset > 0: no L4 header, ports come from fl_frags */
};

/* A parsed packet: the key (ifindex/tc_dir left to the caller) plus what the flow table keeps. */
struct fl_packet {
	struct fl_flow_key key;
	__u8 eth_src[6];
	__u8 eth_dst[6];
	__u8 tcp_flags;
	__u8 has_l4;       /* 0 for later fragments and unknown protocols: ports stay 0 */
	__u8 frag;         /* enum fl_frag_kind */
	__u8 pad;
	__u16 drop_reason; /* enum fl_policy_drop_reason: why parsing failed (FL_PARSE_ERR) */
	__u16 frag_off;    /* fragment offset in 8-byte units */
	__u32 frag_id;     /* IPv4 identification or IPv6 fragment id */
};

static __always_inline int fl_parse_fail(struct fl_packet *pkt, __u16 reason)
{
	pkt->drop_reason = reason;
	return FL_PARSE_ERR;
}

static __always_inline int fl_is_ipv6_ext(__u8 nh)
{
	return nh == IPV6_EXT_HOPOPTS || nh == IPV6_EXT_ROUTING || nh == IPV6_EXT_DSTOPTS ||
	       nh == IPV6_EXT_FRAGMENT;
}

static __always_inline int fl_load(const void *src, int mode, __u32 off, void *dst, __u32 len)
{
	if (mode == FL_SRC_SKB)
		return bpf_skb_load_bytes(src, off, dst, len);
	return bpf_probe_read_kernel(dst, len, (const char *)src + off);
}

/* IPv6: skip up to FL_MAX_IPV6_EXT_HDRS extension headers; returns the upper-layer protocol via
 * *proto and its offset via *off, or FL_PARSE_ERR when a header is cut or the chain is longer
 * than we follow (what we cannot see past could hide the real protocol). A fragment header fills
 * pkt->frag*; after a later fragment's header only payload follows. */
static __always_inline int fl_skip_ipv6_ext(const void *src, int mode, __u32 *off, __u8 *proto,
					    struct fl_packet *pkt)
{
	__u8 nh = *proto;
	__u32 o = *off;

	for (int i = 0; i < FL_MAX_IPV6_EXT_HDRS; i++) {
		__u8 ext[8];

		if (nh == IPV6_EXT_HOPOPTS || nh == IPV6_EXT_ROUTING || nh == IPV6_EXT_DSTOPTS) {
			if (fl_load(src, mode, o, ext, 2))
				return fl_parse_fail(pkt, FL_DROP_INVALID_EXTHDR);
			nh = ext[0];
			o += ((__u32)ext[1] + 1) * 8;
		} else if (nh == IPV6_EXT_FRAGMENT) {
			__u16 fo;

			if (pkt->frag || fl_load(src, mode, o, ext, 8))
				return fl_parse_fail(pkt, FL_DROP_INVALID_EXTHDR);
			nh = ext[0];
			o += 8;
			fo = ((__u16)ext[2] << 8) | ext[3];
			pkt->frag_off = fo >> 3;
			pkt->frag_id = ((__u32)ext[4] << 24) | ((__u32)ext[5] << 16) | ((__u32)ext[6] << 8) | ext[7];
			if (pkt->frag_off) {
				pkt->frag = FL_FRAG_LATER;
				break;
			}
			if (fo & 1)
				pkt->frag = FL_FRAG_FIRST;
		} else {
			break;
		}
	}
	if (pkt->frag != FL_FRAG_LATER && fl_is_ipv6_ext(nh))
		return fl_parse_fail(pkt, FL_DROP_INVALID_EXTHDR);
	*proto = nh;
	*off = o;
	return FL_PARSE_OK;
}

/* Bytes of the L4 header that must be present for policy to read it (0: protocol without ports). */
static __always_inline __u32 fl_l4_min_len(__u8 proto)
{
	if (proto == IPPROTO_TCP)
		return 20;
	if (proto == IPPROTO_UDP || proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		return 8;
	return 0;
}

/* Parse from the L3 header at `off` (ethertype in host order) through L4. */
static __always_inline int fl_parse_l3l4(const void *src, int mode, __u32 off, __u16 ethertype,
					 struct fl_packet *pkt)
{
	struct fl_flow_key *key = &pkt->key;
	__u32 end = 0; /* end of the IP datagram by its length field; 0 = unknown (GSO, jumbogram) */
	__u32 need;
	__u8 proto;

	if (ethertype == ETH_P_IP) {
		__u32 hlen, tot;
		__u16 fo;
		__u8 h[20], last;

		if (fl_load(src, mode, off, h, sizeof(h)))
			return fl_parse_fail(pkt, FL_DROP_INVALID_PACKET);
		hlen = (h[0] & 0xf) * 4;
		tot = ((__u32)h[2] << 8) | h[3];
		if ((h[0] >> 4) != 4 || hlen < 20 || (tot && tot < hlen) ||
		    (hlen > 20 && fl_load(src, mode, off + hlen - 1, &last, 1))) /* options present */
			return fl_parse_fail(pkt, FL_DROP_INVALID_PACKET);
		key->ip_version = 4;
		proto = h[9];
		__builtin_memcpy(key->saddr, &h[12], 4);
		__builtin_memcpy(key->daddr, &h[16], 4);
		fo = ((__u16)h[6] << 8) | h[7];
		pkt->frag_off = fo & 0x1fff;
		pkt->frag_id = ((__u16)h[4] << 8) | h[5];
		if (pkt->frag_off)
			pkt->frag = FL_FRAG_LATER;
		else if (fo & 0x2000)
			pkt->frag = FL_FRAG_FIRST;
		if (tot)
			end = off + tot;
		off += hlen;
	} else if (ethertype == ETH_P_IPV6) {
		__u32 plen;
		__u8 h[40];

		if (fl_load(src, mode, off, h, sizeof(h)))
			return fl_parse_fail(pkt, FL_DROP_INVALID_PACKET);
		if ((h[0] >> 4) != 6)
			return fl_parse_fail(pkt, FL_DROP_INVALID_PACKET);
		key->ip_version = 6;
		proto = h[6];
		__builtin_memcpy(key->saddr, &h[8], 16);
		__builtin_memcpy(key->daddr, &h[24], 16);
		plen = ((__u32)h[4] << 8) | h[5];
		off += 40;
		if (plen)
			end = off + plen;
		if (fl_skip_ipv6_ext(src, mode, &off, &proto, pkt))
			return FL_PARSE_ERR;
	} else {
		return FL_PARSE_SKIP;
	}
	key->proto = proto;
	if (pkt->frag == FL_FRAG_LATER)
		return FL_PARSE_OK;

	/* The whole minimal L4 header must be in this packet (a first fragment included), inside the
	 * datagram's own length: ports and flags that are not there cannot be decided on. */
	need = fl_l4_min_len(proto);
	if (need && end && (off > end || end - off < need))
		return fl_parse_fail(pkt, FL_DROP_CT_INVALID_HDR);
	if (proto == IPPROTO_TCP) {
		__u8 t[20];

		if (fl_load(src, mode, off, t, sizeof(t)) || (t[12] >> 4) < 5)
			return fl_parse_fail(pkt, FL_DROP_CT_INVALID_HDR);
		key->sport = ((__u16)t[0] << 8) | t[1];
		key->dport = ((__u16)t[2] << 8) | t[3];
		pkt->tcp_flags = t[13];
		pkt->has_l4 = 1;
	} else if (proto == IPPROTO_UDP) {
		__u8 u[8];

		if (fl_load(src, mode, off, u, sizeof(u)))
			return fl_parse_fail(pkt, FL_DROP_CT_INVALID_HDR);
		key->sport = ((__u16)u[0] << 8) | u[1];
		key->dport = ((__u16)u[2] << 8) | u[3];
		pkt->has_l4 = 1;
	} else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		__u8 c[8];

		if (fl_load(src, mode, off, c, sizeof(c)))
			return fl_parse_fail(pkt, FL_DROP_CT_INVALID_HDR);
		key->sport = c[0]; /* type */
		key->dport = c[1]; /* code */
		pkt->has_l4 = 1;
	}
	return FL_PARSE_OK;
}

/* Parse a packet at tc: Ethernet, up to FL_MAX_VLAN_TAGS 802.1Q/802.1AD tags, then L3/L4. */
static __always_inline int fl_parse_skb(struct __sk_buff *skb, struct fl_packet *pkt)
{
	__u8 eth[ETH_HLEN];
	__u32 off = ETH_HLEN;
	__u16 ethertype;

	if (fl_load(skb, FL_SRC_SKB, 0, eth, sizeof(eth)))
		return fl_parse_fail(pkt, FL_DROP_INVALID_PACKET);
	__builtin_memcpy(pkt->eth_dst, &eth[0], 6);
	__builtin_memcpy(pkt->eth_src, &eth[6], 6);
	ethertype = ((__u16)eth[12] << 8) | eth[13];

	for (int i = 0; i < FL_MAX_VLAN_TAGS; i++) {
		__u8 tag[4];

		if (ethertype != ETH_P_8021Q && ethertype != ETH_P_8021AD)
			break;
		if (fl_load(skb, FL_SRC_SKB, off, tag, sizeof(tag)))
			return fl_parse_fail(pkt, FL_DROP_INVALID_PACKET);
		ethertype = ((__u16)tag[2] << 8) | tag[3];
		off += 4;
	}
	return fl_parse_l3l4(skb, FL_SRC_SKB, off, ethertype, pkt);
}

#endif
