/* SPDX-License-Identifier: GPL-2.0 */
/* Recording side of the log-linear histogram; the layout and bucket formula are in hist.h. */
#ifndef __KERNO_HIST_BPF_H
#define __KERNO_HIST_BPF_H

#include "hist.h"

/* floor(log2(v)) for v > 0 in five fixed steps, no loop (after libbpf-tools bits.bpf.h). */
static __always_inline __u32 hist_log2(__u64 v)
{
	__u32 r, shift;

	r = (v > 0xFFFFFFFFULL) << 5;
	v >>= r;
	shift = (v > 0xFFFF) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xFF) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xF) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline __u64 hist_slot(__u64 v)
{
	__u64 e, slot;

	if (v < (1ULL << HIST_MIN_EXP))
		return 0;
	e = hist_log2(v);
	slot = 1 + (e - HIST_MIN_EXP) * HIST_SUBS + ((v >> (e - HIST_SUB_BITS)) & (HIST_SUBS - 1));
	/*
	 * The barrier stops clang from merging this clamp with what it knows about e, which produced code
	 * whose bound the verifier could not follow.
	 */
	barrier_var(slot);
	if (slot > HIST_SLOTS - 1)
		slot = HIST_SLOTS - 1;
	return slot;
}

/*
 * Plain (non-atomic) updates: every caller records into a per-CPU value from a program that cannot be
 * re-entered on the same CPU (BPF's per-program recursion guard), so there is no concurrent writer.
 */
static __always_inline void hist_record(struct hist *h, __u64 v)
{
	__u64 slot = hist_slot(v);

	h->count++;
	h->sum_ns += v;
	if (v > h->max_ns)
		h->max_ns = v;
	h->slots[slot]++;
}

/*
 * For histograms in shared (not per-CPU) map values, written from several CPUs at once. max_ns is
 * raised by compare-and-swap, retried once; losing both races under contention can only leave max_ns
 * slightly low, never wrong in the other direction.
 */
static __always_inline void hist_record_atomic(struct hist *h, __u64 v)
{
	__u64 slot = hist_slot(v), max = h->max_ns, prev;

	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->sum_ns, v);
	if (v > max) {
		prev = __sync_val_compare_and_swap(&h->max_ns, max, v);
		if (prev != max && v > prev)
			__sync_val_compare_and_swap(&h->max_ns, prev, v);
	}
	__sync_fetch_and_add(&h->slots[slot], 1);
}

#endif /* __KERNO_HIST_BPF_H */
