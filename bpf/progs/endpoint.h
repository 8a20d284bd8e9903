/* Endpoint filter for the tracepoints, and keys built from tracepoint address fields. */
#ifndef FLOWLENS_ENDPOINT_H
#define FLOWLENS_ENDPOINT_H

static __always_inline int fl_addr_observed(const __u8 *addr)
{
	struct fl_ip_key k;

	__builtin_memcpy(k.addr, addr, sizeof(k.addr));
	return bpf_map_lookup_elem(&fl_endpoint_ips, &k) != NULL;
}

/* True when the source or the destination of the key is an observed endpoint address. */
static __always_inline int fl_key_observed(const struct fl_flow_key *key)
{
	return fl_addr_observed(key->saddr) || fl_addr_observed(key->daddr);
}

static __always_inline int fl_is_v4_mapped(const __u8 *a)
{
	__u8 zero = 0;

#pragma unroll
	for (int i = 0; i < 10; i++)
		zero |= a[i];
	return zero == 0 && a[10] == 0xff && a[11] == 0xff;
}

/* The address block both socket tracepoints share: saddr, daddr, saddr_v6, daddr_v6. */
struct fl_tp_addrs {
	__u8 s4[4];
	__u8 d4[4];
	__u8 s6[16];
	__u8 d6[16];
};

/* Fill addresses from a socket tracepoint's copies (already on the stack). A dual-stack socket
 * talking IPv4 reports ::ffff:a.b.c.d; it is keyed as IPv4 so it matches the tc flows. */
static __always_inline int fl_key_from_sock_addrs(struct fl_flow_key *key, __u16 family,
						  const struct fl_tp_addrs *a)
{
	const __u8 *s6 = a->s6, *d6 = a->d6;

	if (family == AF_INET) {
		key->ip_version = 4;
		__builtin_memcpy(key->saddr, a->s4, 4);
		__builtin_memcpy(key->daddr, a->d4, 4);
	} else if (family == AF_INET6) {
		if (fl_is_v4_mapped(s6) && fl_is_v4_mapped(d6)) {
			key->ip_version = 4;
			__builtin_memcpy(key->saddr, s6 + 12, 4);
			__builtin_memcpy(key->daddr, d6 + 12, 4);
		} else {
			key->ip_version = 6;
			__builtin_memcpy(key->saddr, s6, 16);
			__builtin_memcpy(key->daddr, d6, 16);
		}
	} else {
		return -1;
	}
	key->proto = IPPROTO_TCP;
	return 0;
}

#endif
