/* Golden bytes of the kernel/user ABI: one record of each kind, filled field by field, so the TS
 * decoder can be checked against what a C compiler lays out from bpf/include/flowlens/abi.h.
 *
 * Usage: golden [records|config|ipkey|policy|enums] [--hex]     (default: records, binary on stdout)
 *   records: fl_flow_record (152) + fl_drop_record (80) + fl_sock_record (96)
 *            + fl_retrans_record (64), concatenated, 392 bytes, in that order
 *   config:  struct fl_config (16 bytes)      ipkey: struct fl_ip_key (16 bytes)
 *   policy:  fl_policy_record (96) + fl_policy_key (16) + fl_policy_value (8)
 *            + fl_endpoint_info (12) + fl_ipcache_key (20) + fl_ipcache_value (8)
 *            + fl_ct_key (40) + fl_ct_value (32), concatenated, 232 bytes
 *   enums:   text, one "NAME value" line per constant of enum fl_stat and enum fl_policy_drop_reason
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
 * fl_policy_record: hdr.kind = 5, len = 96, key = KEY_V4, subject_identity = 70000,
 *   peer_identity = 2, rule_id = 0x01020304 (16909060), direction = 1 (EGRESS), verdict = 2
 *   (DROPPED), match_type = 3 (L4), hook = 1 (CONNECT), drop_reason = 181, tcp_flags = 0x02,
 *   pid = 0x12345 (74565), endpoint_id = 7, cgroup_id = 0x123456789abc (20015998343868)
 * fl_policy_key: prefixlen = 96, subject_identity = 70000, peer_identity = 0x80000001
 *   (2147483649), direction = 0, proto = 6, dport = 8080 in network order (bytes 1f 90)
 * fl_policy_value: rule_id = 42, action = 2 (DENY), flags = 3 (AUDIT|L7), l4_match = 2, pad = 0
 * fl_endpoint_info: endpoint_id = 7, identity = 70000, enforce = 3, audit = 2, pad = 0
 * fl_ipcache_key: prefixlen = 120, addr = ::ffff:10.1.2.0 (10 zero bytes, ff ff, 0a 01 02 00)
 * fl_ipcache_value: identity = 0x80000001, endpoint_id = 0
 * fl_ct_key: saddr = 10.1.2.3, daddr = 10.4.5.6, sport = 43210, dport = 8080, proto = 6,
 *   direction = 1, pad = 0
 * fl_ct_value: created_ns = 1000000001, last_ns = 2000000002, rule_id = 42,
 *   subject_identity = 70000, endpoint_id = 7, verdict = 5 (REDIRECTED), flags = 3 (L7|CLOSING)
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

static int put(const void *buf, size_t len, int hex);

/* The policy structs, back to back, as the "policy" mode documents them. */
static int put_policy(int hex)
{
	static const __u8 v4a[4] = { 10, 1, 2, 3 }, v4b[4] = { 10, 4, 5, 6 }, net[4] = { 10, 1, 2, 0 };
	struct fl_policy_record rec;
	struct fl_policy_key pk;
	struct fl_policy_value pv;
	struct fl_endpoint_info ep;
	struct fl_ipcache_key ik;
	struct fl_ipcache_value iv;
	struct fl_ct_key ck;
	struct fl_ct_value cv;
	int rc = 0;

	memset(&rec, 0, sizeof(rec));
	memset(&pk, 0, sizeof(pk));
	memset(&pv, 0, sizeof(pv));
	memset(&ep, 0, sizeof(ep));
	memset(&ik, 0, sizeof(ik));
	memset(&iv, 0, sizeof(iv));
	memset(&ck, 0, sizeof(ck));
	memset(&cv, 0, sizeof(cv));

	fill_hdr(&rec.hdr, FL_REC_POLICY, sizeof(rec));
	fill_key_v4(&rec.key);
	rec.subject_identity = 70000;
	rec.peer_identity = 2;
	rec.rule_id = 0x01020304;
	rec.direction = FL_POL_EGRESS;
	rec.verdict = FL_VERDICT_DROPPED;
	rec.match_type = 3;
	rec.hook = FL_HOOK_CONNECT;
	rec.drop_reason = FL_DROP_POLICY_DENY;
	rec.tcp_flags = FL_TCP_SYN;
	rec.pid = 0x12345;
	rec.endpoint_id = 7;
	rec.cgroup_id = 0x123456789abcULL;

	pk.prefixlen = 96;
	pk.subject_identity = 70000;
	pk.peer_identity = 0x80000001;
	pk.direction = FL_POL_INGRESS;
	pk.proto = 6;
	pk.dport = (__u16)((8080 >> 8) | ((8080 & 0xff) << 8)); /* network order on little-endian */

	pv.rule_id = 42;
	pv.action = FL_POL_DENY;
	pv.flags = FL_POLF_AUDIT | FL_POLF_L7;
	pv.l4_match = 2;

	ep.endpoint_id = 7;
	ep.identity = 70000;
	ep.enforce = 3;
	ep.audit = 2;

	ik.prefixlen = 120;
	ik.addr[10] = 0xff;
	ik.addr[11] = 0xff;
	memcpy(&ik.addr[12], net, 4);
	iv.identity = 0x80000001;

	memcpy(ck.saddr, v4a, 4);
	memcpy(ck.daddr, v4b, 4);
	ck.sport = 43210;
	ck.dport = 8080;
	ck.proto = 6;
	ck.direction = FL_POL_EGRESS;

	cv.created_ns = 1000000001ULL;
	cv.last_ns = 2000000002ULL;
	cv.rule_id = 42;
	cv.subject_identity = 70000;
	cv.endpoint_id = 7;
	cv.verdict = FL_VERDICT_REDIRECTED;
	cv.flags = FL_CTF_L7 | FL_CTF_CLOSING;

	rc |= put(&rec, sizeof(rec), hex);
	rc |= put(&pk, sizeof(pk), hex);
	rc |= put(&pv, sizeof(pv), hex);
	rc |= put(&ep, sizeof(ep), hex);
	rc |= put(&ik, sizeof(ik), hex);
	rc |= put(&iv, sizeof(iv), hex);
	rc |= put(&ck, sizeof(ck), hex);
	rc |= put(&cv, sizeof(cv), hex);
	return rc;
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

/* The enum constants user space mirrors (layout.ts Stat, PolicyDropReason), as the C compiler sees them. */
static int put_enums(void)
{
#define FL_ENUM(name) printf("%s %d\n", #name, (int)(name))
	FL_ENUM(FL_STAT_RINGBUF_FULL);
	FL_ENUM(FL_STAT_FLOW_MAP_FULL);
	FL_ENUM(FL_STAT_PACKETS);
	FL_ENUM(FL_STAT_RECORDS);
	FL_ENUM(FL_STAT_PARSE_ERRORS);
	FL_ENUM(FL_STAT_POLICY_DROPS);
	FL_ENUM(FL_STAT_CT_MAP_FULL);
	FL_ENUM(FL_STAT_INVALID_DROPS);
	FL_ENUM(FL_STAT_MAX);
	FL_ENUM(FL_DROP_POLICY_DENIED);
	FL_ENUM(FL_DROP_POLICY_DENY);
	FL_ENUM(FL_DROP_INVALID_PACKET);
	FL_ENUM(FL_DROP_CT_INVALID_HDR);
	FL_ENUM(FL_DROP_INVALID_EXTHDR);
	FL_ENUM(FL_DROP_FRAG_NOT_FOUND);
#undef FL_ENUM
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
		else if (!strcmp(argv[i], "records") || !strcmp(argv[i], "config") || !strcmp(argv[i], "ipkey") ||
			 !strcmp(argv[i], "policy") || !strcmp(argv[i], "enums"))
			what = argv[i];
		else {
			fprintf(stderr, "golden: unknown argument '%s' (use records|config|ipkey|policy|enums and --hex)\n", argv[i]);
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
	} else if (!strcmp(what, "policy")) {
		rc |= put_policy(hex);
	} else if (!strcmp(what, "enums")) {
		rc |= put_enums();
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
