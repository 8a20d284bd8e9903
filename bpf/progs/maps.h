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
