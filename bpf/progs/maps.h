/* Maps shared by every program; their names are the contract with user space. */
#ifndef FLOWLENS_MAPS_H
#define FLOWLENS_MAPS_H

/* Per flow direction counters (user space may resize before load). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct fl_flow_key);
	__type(value, struct fl_flow_stats);
} fl_flows SEC(".maps");

/* Every record to user space (user space may resize before load). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} fl_events SEC(".maps");

/* Per-CPU counters indexed by enum fl_stat. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FL_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} fl_stats SEC(".maps");

/* Observed endpoint addresses -> endpoint id, filled by user space; filters the tracepoints. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct fl_ip_key);
	__type(value, __u32);
} fl_endpoint_ips SEC(".maps");

/* ---- Policy (docs/policy.md); every map below is pinned and filled by the collector. ---- */

/* Policy entries: (subject, peer, direction, proto, dport prefix) -> verdict. LPM tries must not
 * be preallocated. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct fl_policy_key);
	__type(value, struct fl_policy_value);
} fl_policy SEC(".maps");

/* Address -> identity: endpoint /32 and /128, host addresses (1), CIDR identities. Miss = world. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct fl_ipcache_key);
	__type(value, struct fl_ipcache_value);
} fl_ipcache SEC(".maps");

/* Connections admitted by policy (or seen in a direction nobody enforces). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, struct fl_ct_key);
	__type(value, struct fl_ct_value);
} fl_ct SEC(".maps");

/* Fragmented datagrams seen at tc: the first fragment's ports for the later ones (frag.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct fl_frag_key);
	__type(value, struct fl_frag_value);
} fl_frags SEC(".maps");

/* Host-side ifindex of an endpoint's veth -> the endpoint (subject of tc decisions). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct fl_endpoint_info);
} fl_endpoints SEC(".maps");

/* cgroup v2 id of an endpoint's cgroup -> the endpoint (subject of socket-hook decisions). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct fl_endpoint_info);
} fl_cgroups SEC(".maps");

/* Read-only config in .rodata, set by name "fl_cfg" before load. */
const volatile struct fl_config fl_cfg = {
	.report_interval_ns = 5000000000ULL,
	.wakeup_threshold_bytes = 64 * 1024,
};

static __always_inline void fl_stat_add(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&fl_stats, &idx);

	if (v)
		*v += n; /* per-CPU slot: no atomics needed */
}

#endif
