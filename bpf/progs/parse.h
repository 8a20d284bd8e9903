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

/* A parsed packet: the key (ifindex/tc_dir left to the caller) plus what the flow table keeps. */
struct fl_packet {
	struct fl_flow_key key;
	__u8 eth_src[6];
	__u8 eth_dst[6];
	__u8 tcp_flags;
	__u8 has_l4; /* 0 for non-first fragments and unknown protocols: ports stay 0 */
};

static __always_inline int fl_load(const void *src, int mode, __u32 off, void *dst, __u32 len)
{
	if (mode == FL_SRC_SKB)
		return bpf_skb_load_bytes(src, off, dst, len);
	return bpf_probe_read_kernel(dst, len, (const char *)src + off);
}

/* IPv6: skip up to FL_MAX_IPV6_EXT_HDRS extension headers; returns the upper-layer protocol via
 * *proto and its offset via *off, or FL_PARSE_ERR. *frag is set for a non-first fragment. */
static __always_inline int fl_skip_ipv6_ext(const void *src, int mode, __u32 *off, __u8 *proto,
					    __u8 *frag)
{
	__u8 nh = *proto;
	__u32 o = *off;

	for (int i = 0; i < FL_MAX_IPV6_EXT_HDRS; i++) {
		__u8 ext[8];

		if (nh == IPV6_EXT_HOPOPTS || nh == IPV6_EXT_ROUTING || nh == IPV6_EXT_DSTOPTS) {
			if (fl_load(src, mode, o, ext, 2))
				return FL_PARSE_ERR;
			nh = ext[0];
			o += ((__u32)ext[1] + 1) * 8;
		} else if (nh == IPV6_EXT_FRAGMENT) {
			if (fl_load(src, mode, o, ext, 8))
				return FL_PARSE_ERR;
			nh = ext[0];
			o += 8;
			if ((((__u16)ext[2] << 8) | ext[3]) & 0xfff8)
				*frag = 1; /* fragment offset != 0: no L4 header here */
		} else {
			break;
		}
	}
	*proto = nh;
	*off = o;
	return FL_PARSE_OK;
}

/* Parse from the L3 header at `off` (ethertype in host order) through L4. */
static __always_inline int fl_parse_l3l4(const void *src, int mode, __u32 off, __u16 ethertype,
					 struct fl_packet *pkt)
{
	struct fl_flow_key *key = &pkt->key;
	__u8 frag = 0;
	__u8 proto;

	if (ethertype == ETH_P_IP) {
		__u8 h[20];

		if (fl_load(src, mode, off, h, sizeof(h)))
			return FL_PARSE_ERR;
		if ((h[0] >> 4) != 4 || (h[0] & 0xf) < 5)
			return FL_PARSE_ERR;
		key->ip_version = 4;
		proto = h[9];
		__builtin_memcpy(key->saddr, &h[12], 4);
		__builtin_memcpy(key->daddr, &h[16], 4);
		if ((((__u16)h[6] << 8) | h[7]) & 0x1fff)
			frag = 1;
		off += (h[0] & 0xf) * 4;
	} else if (ethertype == ETH_P_IPV6) {
		__u8 h[40];

		if (fl_load(src, mode, off, h, sizeof(h)))
			return FL_PARSE_ERR;
		if ((h[0] >> 4) != 6)
			return FL_PARSE_ERR;
		key->ip_version = 6;
		proto = h[6];
		__builtin_memcpy(key->saddr, &h[8], 16);
		__builtin_memcpy(key->daddr, &h[24], 16);
		off += 40;
		if (fl_skip_ipv6_ext(src, mode, &off, &proto, &frag))
			return FL_PARSE_ERR;
	} else {
		return FL_PARSE_SKIP;
	}
	key->proto = proto;
	if (frag)
		return FL_PARSE_OK;

	if (proto == IPPROTO_TCP) {
		__u8 t[14]; /* ports ... flags byte at offset 13 */

		if (fl_load(src, mode, off, t, sizeof(t)))
			return FL_PARSE_ERR;
		key->sport = ((__u16)t[0] << 8) | t[1];
		key->dport = ((__u16)t[2] << 8) | t[3];
		pkt->tcp_flags = t[13];
		pkt->has_l4 = 1;
	} else if (proto == IPPROTO_UDP) {
		__u8 u[4];

		if (fl_load(src, mode, off, u, sizeof(u)))
			return FL_PARSE_ERR;
		key->sport = ((__u16)u[0] << 8) | u[1];
		key->dport = ((__u16)u[2] << 8) | u[3];
		pkt->has_l4 = 1;
	} else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		__u8 c[2];

		if (fl_load(src, mode, off, c, sizeof(c)))
			return FL_PARSE_ERR;
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
		return FL_PARSE_ERR;
	__builtin_memcpy(pkt->eth_dst, &eth[0], 6);
	__builtin_memcpy(pkt->eth_src, &eth[6], 6);
	ethertype = ((__u16)eth[12] << 8) | eth[13];

	for (int i = 0; i < FL_MAX_VLAN_TAGS; i++) {
		__u8 tag[4];

		if (ethertype != ETH_P_8021Q && ethertype != ETH_P_8021AD)
			break;
		if (fl_load(skb, FL_SRC_SKB, off, tag, sizeof(tag)))
			return FL_PARSE_ERR;
		ethertype = ((__u16)tag[2] << 8) | tag[3];
		off += 4;
	}
	return fl_parse_l3l4(skb, FL_SRC_SKB, off, ethertype, pkt);
}

#endif
