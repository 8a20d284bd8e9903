/* Smoke loader for the kernel programs without libbpf-ts: loads flowlens.bpf.o (skeleton), attaches
 * tc to the given interfaces and the three tracepoints, marks endpoint IPs, and prints every
 * ring-buffer record as one text line until the time runs out; then prints fl_stats.
 *
 * Usage: smoke -i IFNAME [-i IFNAME...] -a IP [-a IP...] [-t SECONDS] [-r REPORT_INTERVAL_MS]
 *              [-w WAKEUP_BYTES] [-m FLOW_ENTRIES] [-b RINGBUF_BYTES] [-q]
 *   -q: count records by kind instead of printing them
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/types.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "flowlens/abi.h"
#include "flowlens.skel.h"

#define MAX_IFS 8

static volatile sig_atomic_t stop;
static int quiet;
static unsigned long counts[5];

static void on_signal(int sig) { (void)sig; stop = 1; }

static void fmt_key(const struct fl_flow_key *k, char *out, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = k->ip_version == 6 ? AF_INET6 : AF_INET;

	inet_ntop(af, k->saddr, s, sizeof(s));
	inet_ntop(af, k->daddr, d, sizeof(d));
	snprintf(out, len, "if%u %s p%u %s:%u > %s:%u", k->ifindex, k->tc_dir ? "egress " : "ingress",
		 k->proto, s, k->sport, d, k->dport);
}

static int on_record(void *ctx, void *data, size_t size)
{
	const struct fl_record_hdr *h = data;
	char key[160];
	(void)ctx;

	if (h->kind < 5)
		counts[h->kind]++;
	if (h->version != FL_ABI_VERSION || h->len != size)
		printf("BAD HEADER kind=%u version=%u len=%u size=%zu\n", h->kind, h->version, h->len, size);
	if (quiet)
		return 0;
	switch (h->kind) {
	case FL_REC_FLOW: {
		const struct fl_flow_record *r = data;
		fmt_key(&r->key, key, sizeof(key));
		printf("FLOW    %s ev=0x%x flags=0x%02x pk=%llu by=%llu seen=0x%02x rtt_us=%llu reply=%u ended=%u id=%llu\n",
		       key, r->events, r->tcp_flags, (unsigned long long)r->stats.packets,
		       (unsigned long long)r->stats.bytes, r->stats.tcp_flags_seen,
		       (unsigned long long)r->stats.rtt_ns / 1000, r->stats.is_reply, r->stats.ended,
		       (unsigned long long)r->stats.flow_id);
		break;
	}
	case FL_REC_DROP: {
		const struct fl_drop_record *r = data;
		fmt_key(&r->key, key, sizeof(key));
		printf("DROP    %s reason=%u len=%u flags=0x%02x loc=0x%llx\n", key, r->reason, r->skb_len,
		       r->tcp_flags, (unsigned long long)r->location);
		break;
	}
	case FL_REC_SOCK: {
		const struct fl_sock_record *r = data;
		fmt_key(&r->key, key, sizeof(key));
		printf("SOCK    %s %u->%u pid=%u comm=%.16s cgroup=%llu\n", key, r->old_state, r->new_state,
		       r->pid, r->comm, (unsigned long long)r->cgroup_id);
		break;
	}
	case FL_REC_RETRANS: {
		const struct fl_retrans_record *r = data;
		fmt_key(&r->key, key, sizeof(key));
		printf("RETRANS %s state=%u\n", key, r->tcp_state);
		break;
	}
	default:
		printf("UNKNOWN kind=%u len=%zu\n", h->kind, size);
	}
	return 0;
}

static int add_ip(struct flowlens *skel, const char *text, __u32 id)
{
	struct fl_ip_key k;

	memset(&k, 0, sizeof(k));
	if (inet_pton(AF_INET, text, k.addr) != 1 && inet_pton(AF_INET6, text, k.addr) != 1) {
		fprintf(stderr, "smoke: '%s' is not an IPv4 or IPv6 address\n", text);
		return -1;
	}
	return bpf_map__update_elem(skel->maps.fl_endpoint_ips, &k, sizeof(k), &id, sizeof(id), BPF_ANY);
}

int main(int argc, char **argv)
{
	const char *ifs[MAX_IFS], *ips[64];
	int nifs = 0, nips = 0, seconds = 10, opt, err = 1;
	long interval_ms = -1, wakeup = -1, flow_entries = 0, ring_bytes = 0;
	struct bpf_tc_hook hooks[MAX_IFS];
	struct bpf_link *links[3] = { 0 };
	struct ring_buffer *rb = NULL;
	struct flowlens *skel;

	while ((opt = getopt(argc, argv, "i:a:t:r:w:m:b:q")) != -1) {
		if (opt == 'i' && nifs < MAX_IFS) ifs[nifs++] = optarg;
		else if (opt == 'a' && nips < 64) ips[nips++] = optarg;
		else if (opt == 't') seconds = atoi(optarg);
		else if (opt == 'r') interval_ms = atol(optarg);
		else if (opt == 'w') wakeup = atol(optarg);
		else if (opt == 'm') flow_entries = atol(optarg);
		else if (opt == 'b') ring_bytes = atol(optarg);
		else if (opt == 'q') quiet = 1;
		else { fprintf(stderr, "usage: smoke -i IF... -a IP... [-t S] [-r MS] [-w BYTES] [-m ENTRIES] [-b BYTES] [-q]\n"); return 2; }
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	skel = flowlens__open();
	if (!skel) { fprintf(stderr, "smoke: open flowlens.bpf.o failed\n"); return 1; }
	if (interval_ms >= 0) skel->rodata->fl_cfg.report_interval_ns = (__u64)interval_ms * 1000000ULL;
	if (wakeup >= 0) skel->rodata->fl_cfg.wakeup_threshold_bytes = (__u32)wakeup;
	if (flow_entries > 0) bpf_map__set_max_entries(skel->maps.fl_flows, flow_entries);
	if (ring_bytes > 0) bpf_map__set_max_entries(skel->maps.fl_events, ring_bytes);
	if (flowlens__load(skel)) { fprintf(stderr, "smoke: load failed (verifier log above)\n"); goto out; }

	for (int i = 0; i < nips; i++)
		if (add_ip(skel, ips[i], i + 1)) goto out;
	links[0] = bpf_program__attach(skel->progs.fl_sock_state);
	links[1] = bpf_program__attach(skel->progs.fl_kfree_skb);
	links[2] = bpf_program__attach(skel->progs.fl_tcp_retransmit);
	if (!links[0] || !links[1] || !links[2]) { fprintf(stderr, "smoke: attach tracepoints failed\n"); goto out; }

	memset(hooks, 0, sizeof(hooks));
	for (int i = 0; i < nifs; i++) {
		struct bpf_tc_hook *h = &hooks[i];
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, in, .prog_fd = bpf_program__fd(skel->progs.fl_tc_ingress));
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, eg, .prog_fd = bpf_program__fd(skel->progs.fl_tc_egress));

		h->sz = sizeof(*h);
		h->ifindex = if_nametoindex(ifs[i]);
		h->attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		if (!h->ifindex) { fprintf(stderr, "smoke: no interface %s\n", ifs[i]); goto out; }
		if (bpf_tc_hook_create(h) && errno != EEXIST) { /* libbpf returns -EEXIST for a clsact already there */ }
		h->attach_point = BPF_TC_INGRESS;
		if (bpf_tc_attach(h, &in)) { fprintf(stderr, "smoke: tc ingress on %s failed\n", ifs[i]); goto out; }
		h->attach_point = BPF_TC_EGRESS;
		if (bpf_tc_attach(h, &eg)) { fprintf(stderr, "smoke: tc egress on %s failed\n", ifs[i]); goto out; }
	}

	rb = ring_buffer__new(bpf_map__fd(skel->maps.fl_events), on_record, NULL, NULL);
	if (!rb) { fprintf(stderr, "smoke: ring buffer failed\n"); goto out; }
	fprintf(stderr, "smoke: attached to %d interface(s), %d endpoint IP(s); running %d s\n", nifs, nips, seconds);
	for (time_t end = time(NULL) + seconds; !stop && time(NULL) < end;) {
		/* The programs submit without wakeup below the threshold, so poll on a short timer. */
		ring_buffer__poll(rb, 100);
		ring_buffer__consume(rb);
		fflush(stdout);
	}
	ring_buffer__consume(rb);

	{
		const char *names[] = { "ringbuf_full", "flow_map_full", "packets", "records", "parse_errors" };
		int ncpu = libbpf_num_possible_cpus();
		__u64 vals[256];

		printf("STATS  ");
		for (__u32 k = 0; k < 5; k++) {
			__u64 sum = 0;
			if (!bpf_map__lookup_elem(skel->maps.fl_stats, &k, sizeof(k), vals, sizeof(__u64) * ncpu, 0))
				for (int c = 0; c < ncpu; c++) sum += vals[c];
			printf(" %s=%llu", names[k], (unsigned long long)sum);
		}
		printf("\nREAD    flow=%lu drop=%lu sock=%lu retrans=%lu\n", counts[1], counts[2], counts[3], counts[4]);
	}
	err = 0;
out:
	ring_buffer__free(rb);
	for (int i = 0; i < nifs; i++) {
		hooks[i].attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		if (hooks[i].ifindex) bpf_tc_hook_destroy(&hooks[i]); /* removes the clsact we created */
	}
	for (int i = 0; i < 3; i++) bpf_link__destroy(links[i]);
	flowlens__destroy(skel);
	return err;
}
