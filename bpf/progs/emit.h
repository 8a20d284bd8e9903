/* Ring-buffer emission: reserve (counting failures), header fill, batched wakeups. */
#ifndef FLOWLENS_EMIT_H
#define FLOWLENS_EMIT_H

/* Reserve a zeroed record of `size` bytes with its header filled; NULL (and counted) when full. */
static __always_inline void *fl_rec_reserve(__u32 size, __u16 kind)
{
	struct fl_record_hdr *hdr = bpf_ringbuf_reserve(&fl_events, size, 0);

	if (!hdr) {
		fl_stat_add(FL_STAT_RINGBUF_FULL, 1);
		return NULL;
	}
	__builtin_memset(hdr, 0, size); /* padding reaches user space: never leave it stale */
	hdr->kind = kind;
	hdr->version = FL_ABI_VERSION;
	hdr->len = size;
	hdr->ts_ns = bpf_ktime_get_ns();
	return hdr;
}

/* Submit without waking the reader unless enough unread data piled up (the reader also drains on
 * a short timer), so a burst of records costs one wakeup, not one per record. */
static __always_inline void fl_rec_submit(void *rec)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_query(&fl_events, BPF_RB_AVAIL_DATA) >= fl_cfg.wakeup_threshold_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(rec, flags);
	fl_stat_add(FL_STAT_RECORDS, 1);
}

#endif
