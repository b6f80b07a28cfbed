/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Conventions shared by every kerno BPF program.
 *
 * - self_tgid: kerno's own process id, written into .rodata by the loader before load. Events caused by
 *   kerno itself are ignored so that reading the maps does not show up in them. 0 disables the filter.
 *   Because .rodata is frozen, the verifier sees the value as a constant and prunes the unused branch.
 * - counters: every program has a BPF_MAP_TYPE_PERCPU_ARRAY of __u64 named `counters`, declared with
 *   DEFINE_COUNTERS(n). Index 0 counts recorded events, the next indexes count drops (map full, ring
 *   buffer reserve failure, missing start timestamp, ...), then any program-specific statistics. Each
 *   program's <name>.h documents its indexes. User space sums the per-CPU values.
 * - comm: per-process aggregates carry the thread-group leader's comm (what /proc/<tgid>/comm shows), not
 *   the comm of whichever thread inserted the entry.
 */
#ifndef __KERNO_COMMON_BPF_H
#define __KERNO_COMMON_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define COMM_LEN 16

const volatile __u32 self_tgid = 0;

static __always_inline bool is_self(__u32 tgid)
{
	return self_tgid && tgid == self_tgid;
}

#define DEFINE_COUNTERS(n)                                      \
	struct {                                                \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);        \
		__uint(max_entries, (n));                       \
		__type(key, __u32);                             \
		__type(value, __u64);                           \
	} counters SEC(".maps")

/*
 * Plain increment: only for programs whose counters are never written from two contexts that can nest
 * on one CPU (all writers in process context with preemption off, or all with interrupts off).
 */
static __always_inline void counter_add(void *map, __u32 idx, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(map, &idx);

	if (c)
		*c += n;
}

/*
 * Atomic increment: for programs whose writers run in both process and softirq/hardirq context (TCP,
 * block completion), where a softirq program may interrupt a process-context one on the same CPU.
 */
static __always_inline void counter_add_atomic(void *map, __u32 idx, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(map, &idx);

	if (c)
		__sync_fetch_and_add(c, n);
}

#define count(idx)	  counter_add(&counters, (idx), 1)
#define count_atomic(idx) counter_add_atomic(&counters, (idx), 1)

/* The thread-group leader's comm, copied into a map value or event. */
static __always_inline void read_leader_comm(char *dst, struct task_struct *task)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);

	bpf_probe_read_kernel_str(dst, COMM_LEN, &leader->comm);
}

#endif /* __KERNO_COMMON_BPF_H */
