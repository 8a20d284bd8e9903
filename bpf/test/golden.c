/* Golden bytes of the kernel/user ABI: one record of each kind, filled field by field, so the TS
 * decoder can be checked against what a C compiler lays out from bpf/include/flowlens/abi.h.
 *
 * Usage: golden [records|config|ipkey] [--hex]     (default: records, binary on stdout)
 *   records: fl_flow_record (152) + fl_drop_record (80) + fl_sock_record (96)
 *            + fl_retrans_record (64), concatenated, 392 bytes, in that order
 *   config:  struct fl_config (16 bytes)      ipkey: struct fl_ip_key (16 bytes)
 *   --hex:   one line per struct, lowercase hex, no separators
 * Every byte not listed below (padding, unused address bytes, the rest of comm) is zero.
 * Integers are little-endian (x86) except where abi.h says network byte order (addresses).
 *
 * hdr (all records): kind = FL_REC_* of the record, version = 1, len = sizeof(record),
 *                    ts_ns = 0x010203040506 (1108152157446)
 *
 * KEY_V4 (flow and drop records):
 *   saddr = 10.1.2.3 (bytes 0a 01 02 03, then 12 zero bytes), daddr = 10.4.5.6
 *   sport = 43210 (0xa8ca), dport = 8080 (0x1f90), ifindex = 0x0a0b0c0d (168496141),
 *   proto = 6 (TCP), ip_version = 4, tc_dir = 1 (FL_TC_EGRESS), pad = 0
 * KEY_V6 (sock and retrans records):
 *   saddr = fd00::1 (fd 00, 13 zero bytes, 01), daddr = fd00::2 (fd 00, 13 zero bytes, 02)
 *   sport = 50000 (0xc350), dport = 443 (0x01bb), ifindex = 0, proto = 6, ip_version = 6,
 *   tc_dir = 0, pad = 0
 *
 * fl_flow_record: hdr.kind = 1, len = 152, key = KEY_V4, events = 3 (NEW|TCP_FLAGS),
 *   tcp_flags = 0x12 (SYN|ACK), stats:
 *   flow_id = 0xabcdef0123456 (3022415463593046), first_ns = 1000000001,
 *   last_ns = 2000000002, packets = 0x100000002 (4294967298), bytes = 0x1234567890 (78187493520),
 *   syn_ns = 3000000003, rtt_ns = 123456, last_report_ns = 4000000004,
 *   tcp_flags_seen = 0x0113 (275; not a real combination, both bytes non-zero on purpose),
 *   is_reply = 1, ended = 1, eth_src = 02:00:00:aa:bb:cc, eth_dst = 02:00:00:dd:ee:ff, pad = 0
 * fl_drop_record: hdr.kind = 2, len = 80, key = KEY_V4, reason = 3 (SKB_DROP_REASON_NO_SOCKET),
 *   skb_len = 0x00010203 (66051), tcp_flags = 0x0002 (SYN), pad = 0,
 *   location = 0xffffffff81234567 (needs a 64-bit integer: above 2^53)
 * fl_sock_record: hdr.kind = 3, len = 96, key = KEY_V6, old_state = 2 (TCP_SYN_SENT),
 *   new_state = 1 (TCP_ESTABLISHED), pid = 0x12345 (74565), pad = 0,
 *   cgroup_id = 0x123456789abc (20015998343868), comm = "flowlens-golden" (15 chars + NUL)
 * fl_retrans_record: hdr.kind = 4, len = 64, key = KEY_V6, tcp_state = 1 (TCP_ESTABLISHED)
 * fl_config: report_interval_ns = 5000000000, wakeup_threshold_bytes = 65536, pad = 0
 * fl_ip_key: addr = 10.1.2.3 (0a 01 02 03, then 12 zero bytes)
 */
#include <linux/types.h>
#include <stdio.h>
#include <string.h>
#include "flowlens/abi.h"

static const __u64 TS_NS = 0x010203040506ULL;

static void fill_hdr(struct fl_record_hdr *hdr, __u16 kind, __u32 len)
{
	hdr->kind = kind;
	hdr->version = FL_ABI_VERSION;
	hdr->len = len;
	hdr->ts_ns = TS_NS;
}

static void fill_key_v4(struct fl_flow_key *key)
{
	static const __u8 saddr[4] = { 10, 1, 2, 3 }, daddr[4] = { 10, 4, 5, 6 };

	memcpy(key->saddr, saddr, sizeof(saddr));
	memcpy(key->daddr, daddr, sizeof(daddr));
	key->sport = 43210;
	key->dport = 8080;
	key->ifindex = 0x0a0b0c0d;
	key->proto = 6;
	key->ip_version = 4;
	key->tc_dir = FL_TC_EGRESS;
}

static void fill_key_v6(struct fl_flow_key *key)
{
	key->saddr[0] = 0xfd;
	key->saddr[15] = 0x01;
	key->daddr[0] = 0xfd;
	key->daddr[15] = 0x02;
	key->sport = 50000;
	key->dport = 443;
	key->ifindex = 0;
	key->proto = 6;
	key->ip_version = 6;
	key->tc_dir = FL_TC_INGRESS;
}

static void fill_flow(struct fl_flow_record *r)
{
	static const __u8 src[6] = { 0x02, 0, 0, 0xaa, 0xbb, 0xcc }, dst[6] = { 0x02, 0, 0, 0xdd, 0xee, 0xff };

	fill_hdr(&r->hdr, FL_REC_FLOW, sizeof(*r));
	fill_key_v4(&r->key);
	r->events = FL_EV_NEW | FL_EV_TCP_FLAGS;
	r->tcp_flags = FL_TCP_SYN | FL_TCP_ACK;
	r->stats.flow_id = 0xabcdef0123456ULL;
	r->stats.first_ns = 1000000001ULL;
	r->stats.last_ns = 2000000002ULL;
	r->stats.packets = 0x100000002ULL;
	r->stats.bytes = 0x1234567890ULL;
	r->stats.syn_ns = 3000000003ULL;
	r->stats.rtt_ns = 123456ULL;
	r->stats.last_report_ns = 4000000004ULL;
	r->stats.tcp_flags_seen = 0x0113;
	r->stats.is_reply = 1;
	r->stats.ended = 1;
	memcpy(r->stats.eth_src, src, sizeof(src));
	memcpy(r->stats.eth_dst, dst, sizeof(dst));
}

static void fill_drop(struct fl_drop_record *r)
{
	fill_hdr(&r->hdr, FL_REC_DROP, sizeof(*r));
	fill_key_v4(&r->key);
	r->reason = 3;
	r->skb_len = 0x00010203;
	r->tcp_flags = FL_TCP_SYN;
	r->location = 0xffffffff81234567ULL;
}

static void fill_sock(struct fl_sock_record *r)
{
	fill_hdr(&r->hdr, FL_REC_SOCK, sizeof(*r));
	fill_key_v6(&r->key);
	r->old_state = 2;
	r->new_state = 1;
	r->pid = 0x12345;
	r->cgroup_id = 0x123456789abcULL;
	memcpy(r->comm, "flowlens-golden", 16);
}

static void fill_retrans(struct fl_retrans_record *r)
{
	fill_hdr(&r->hdr, FL_REC_RETRANS, sizeof(*r));
	fill_key_v6(&r->key);
	r->tcp_state = 1;
}

static int put(const void *buf, size_t len, int hex)
{
	const unsigned char *b = buf;

	if (!hex)
		return fwrite(buf, 1, len, stdout) == len ? 0 : -1;
	for (size_t i = 0; i < len; i++)
		printf("%02x", b[i]);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct fl_flow_record flow;
	struct fl_drop_record drop;
	struct fl_sock_record sock;
	struct fl_retrans_record retrans;
	struct fl_config cfg;
	struct fl_ip_key ipkey;
	const char *what = "records";
	int hex = 0, rc = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--hex") == 0)
			hex = 1;
		else if (!strcmp(argv[i], "records") || !strcmp(argv[i], "config") || !strcmp(argv[i], "ipkey"))
			what = argv[i];
		else {
			fprintf(stderr, "golden: unknown argument '%s' (use records|config|ipkey and --hex)\n", argv[i]);
			return 2;
		}
	}

	/* memset, not "= { 0 }": C does not promise that an initializer zeroes padding bytes. */
	memset(&flow, 0, sizeof(flow));
	memset(&drop, 0, sizeof(drop));
	memset(&sock, 0, sizeof(sock));
	memset(&retrans, 0, sizeof(retrans));
	memset(&cfg, 0, sizeof(cfg));
	memset(&ipkey, 0, sizeof(ipkey));

	if (!strcmp(what, "records")) {
		fill_flow(&flow);
		fill_drop(&drop);
		fill_sock(&sock);
		fill_retrans(&retrans);
		rc |= put(&flow, sizeof(flow), hex);
		rc |= put(&drop, sizeof(drop), hex);
		rc |= put(&sock, sizeof(sock), hex);
		rc |= put(&retrans, sizeof(retrans), hex);
	} else if (!strcmp(what, "config")) {
		cfg.report_interval_ns = 5000000000ULL;
		cfg.wakeup_threshold_bytes = 65536;
		rc |= put(&cfg, sizeof(cfg), hex);
	} else {
		static const __u8 a[4] = { 10, 1, 2, 3 };

		memcpy(ipkey.addr, a, sizeof(a));
		rc |= put(&ipkey, sizeof(ipkey), hex);
	}
	if (rc || fflush(stdout)) {
		fprintf(stderr, "golden: writing to stdout failed\n");
		return 1;
	}
	return 0;
}
