/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CO-RE shims: named accessors that hide kernel renames and layout changes from the programs. Each one
 * cites the kernel change it papers over. The `___suffix` flavour types are matched to kernel types by
 * the name before the triple underscore; bpf_core_*_exists() resolve to constants at load time, so the
 * verifier never sees the branch that does not apply to the running kernel.
 */
#ifndef __KERNO_CORE_FIXES_BPF_H
#define __KERNO_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/*
 * commit 2f064a59a11f ("sched: Change task_struct::state"), v5.14, renamed task_struct::state to
 * __state (and made it unsigned int).
 */
struct task_struct___o {
	volatile long int state;
} __attribute__((preserve_access_index));

struct task_struct___x {
	unsigned int __state;
} __attribute__((preserve_access_index));

static __always_inline __s64 get_task_state(void *task)
{
	struct task_struct___x *t = task;

	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___o *)task, state);
}

/*
 * commit d152c682f03c ("block: add an explicit ->disk backpointer to the request_queue") and commit
 * f3fa33acca9f ("block: remove the ->rq_disk field in struct request"), v5.16: the gendisk moved from
 * request::rq_disk to request::q->disk.
 */
struct request_queue___x {
	struct gendisk *disk;
} __attribute__((preserve_access_index));

struct request___x {
	struct request_queue___x *q;
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

static __always_inline struct gendisk *get_disk(void *request)
{
	struct request___x *r = request;

	if (bpf_core_field_exists(r->rq_disk))
		return BPF_CORE_READ(r, rq_disk);
	return BPF_CORE_READ(r, q, disk);
}

/*
 * commit a54895fa057c ("block: remove the request_queue to argument request based tracepoints"),
 * v5.11, changed block_rq_issue from (struct request_queue *, struct request *) to (struct request *).
 * No type or field changed with it that CO-RE could test (clang 14 lacks bpf_core_type_matches), so this
 * one follows libbpf-tools biolatency and compares the kernel version libbpf reads from uname.
 */
extern int LINUX_KERNEL_VERSION __kconfig;

static __always_inline bool block_rq_issue_has_queue_arg(void)
{
	return LINUX_KERNEL_VERSION < KERNEL_VERSION(5, 11, 0);
}

/*
 * commit 72ba14deb40a ("mm: update mark_victim tracepoints fields"), v6.8 (backported to 6.1.y),
 * changed mark_victim from (int pid) to (struct task_struct *task, uid_t uid) and, in the same change,
 * added `uid` (and comm, rss, ...) to the event record. The record field is the CO-RE-testable witness.
 */
struct trace_event_raw_mark_victim___x {
	__u32 uid;
} __attribute__((preserve_access_index));

static __always_inline bool mark_victim_has_task_arg(void)
{
	return bpf_core_field_exists(struct trace_event_raw_mark_victim___x, uid);
}

/*
 * "tcp: trace retransmit failures in tcp_retransmit_skb" (net-next, July 2025, v6.17) added an `err`
 * argument and record field to tcp_retransmit_skb, and made the tracepoint fire for failed attempts too.
 * Before it the event was a DEFINE_EVENT of tcp_event_sk_skb (no trace_event_raw_tcp_retransmit_skb
 * type) and fired only for successful retransmits.
 */
struct trace_event_raw_tcp_retransmit_skb___x {
	int err;
} __attribute__((preserve_access_index));

static __always_inline bool tcp_retransmit_skb_has_err_arg(void)
{
	return bpf_core_field_exists(struct trace_event_raw_tcp_retransmit_skb___x, err);
}

/*
 * commit 67c0496e87d1 ("kernfs: convert kernfs_node->id from union kernfs_node_id to u64"), v5.5.
 * Before it the id was a union whose `id` member held the same 64-bit value.
 */
union kernfs_node_id___old {
	struct {
		__u32 ino;
		__u32 generation;
	};
	__u64 id;
} __attribute__((preserve_access_index));

struct kernfs_node___old {
	union kernfs_node_id___old id;
} __attribute__((preserve_access_index));

static __always_inline __u64 get_kernfs_id(struct kernfs_node *kn)
{
	if (bpf_core_type_exists(union kernfs_node_id___old))
		return BPF_CORE_READ((struct kernfs_node___old *)kn, id.id);
	return BPF_CORE_READ(kn, id);
}

/*
 * commit f1a7941243c1 ("mm: convert mm's rss stats into percpu_counter"), v6.2: mm_struct::rss_stat went
 * from `struct mm_rss_stat { atomic_long_t count[NR_MM_COUNTERS]; }` to
 * `struct percpu_counter rss_stat[NR_MM_COUNTERS]`. Like the kernel's get_mm_counter(), the percpu form
 * reads the folded count only (approximate by up to the per-CPU batch), which is what the OOM report uses.
 * `member` must be a compile-time constant (it becomes part of the CO-RE access string): use the
 * MM_*PAGES indexes, stable since v4.5.
 */
struct mm_rss_stat___old {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___old {
	struct mm_rss_stat___old rss_stat;
} __attribute__((preserve_access_index));

#define get_mm_counter(mm, member)                                                              \
	({                                                                                      \
		__s64 __v;                                                                      \
		if (bpf_core_type_exists(struct mm_rss_stat___old))                             \
			__v = BPF_CORE_READ((struct mm_struct___old *)(mm),                     \
					    rss_stat.count[member].counter);                    \
		else                                                                            \
			__v = BPF_CORE_READ((mm), rss_stat[member].count);                      \
		__v < 0 ? 0 : (__u64)__v;                                                       \
	})

#endif /* __KERNO_CORE_FIXES_BPF_H */
