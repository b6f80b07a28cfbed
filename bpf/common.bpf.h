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
 *   the comm of whichever thread inserted the entry. A value's comm is read once, when its key is
 *   inserted, and goes stale if the process exec()s later (a shell child inserts keys before exec()ing the
 *   real program). Programs with per-process maps therefore also keep `comms` (DEFINE_COMMS): tgid →
 *   latest comm, written at insert and rewritten by sched_process_exec and task_rename programs. User space names a
 *   tgid from `comms` first and falls back to the value's comm (the LRU may have evicted the tgid).
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

/*
 * Puts `struct type` into the object's BTF even when no map names it (ring-buffer records), so user space
 * can check the layout it decodes against what clang compiled (src/bpf/layout.ts). An 8-byte pointer in
 * .rodata that nothing reads.
 */
#define BTF_LAYOUT(type) struct type *const __btf_layout_##type __attribute__((used)) = 0

#define COMMS_MAX 16384

/* `comms` value: 16 bytes, the comm NUL-padded. */
struct comm_value {
	char comm[COMM_LEN];
};

#define DEFINE_COMMS()                                          \
	struct {                                                \
		__uint(type, BPF_MAP_TYPE_LRU_HASH);            \
		__uint(max_entries, COMMS_MAX);                 \
		__type(key, __u32);                             \
		__type(value, struct comm_value);               \
	} comms SEC(".maps")

/* The thread-group leader's comm, copied into a map value or event. */
static __always_inline void read_leader_comm(char *dst, struct task_struct *task)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);

	bpf_probe_read_kernel_str(dst, COMM_LEN, &leader->comm);
}

/*
 * Record tgid's name when a key is first inserted for it; an exec-time name already there wins. Looked
 * up first because an LRU update takes (and may evict for) a free node even when the key exists.
 */
#define remember_comm(tgid, comm_ptr)                                               \
	({                                                                          \
		if (!bpf_map_lookup_elem(&comms, &(tgid)))                          \
			bpf_map_update_elem(&comms, &(tgid), (comm_ptr), BPF_NOEXIST); \
	})

/*
 * Body of each object's sched_process_exec program: after exec the task is the leader (de_thread) and
 * its comm is the new program's name.
 */
#define update_comm_on_exec(task)                                                    \
	({                                                                          \
		struct comm_value __c = {};                                         \
		__u32 __tgid = (task)->tgid;                                        \
		bpf_probe_read_kernel_str(__c.comm, COMM_LEN, &(task)->comm);      \
		bpf_map_update_elem(&comms, &__tgid, &__c, BPF_ANY);                \
	})

/*
 * Body of each object's task_rename program: prctl(PR_SET_NAME) (thread pools, daemons naming themselves)
 * renames a thread without exec, so a name recorded at the first syscall goes stale. Only the thread-group
 * leader's name is the process's name (/proc/<tgid>/comm); renamed worker threads keep theirs. The new
 * name is the tracepoint's argument: the task's comm still holds the old one when it fires.
 */
#define update_comm_on_rename(task, newcomm)                                          \
	({                                                                          \
		if ((task)->pid == (task)->tgid) {                                  \
			struct comm_value __c = {};                                 \
			__u32 __tgid = (task)->tgid;                                \
			bpf_probe_read_kernel_str(__c.comm, COMM_LEN, (newcomm));   \
			bpf_map_update_elem(&comms, &__tgid, &__c, BPF_ANY);        \
		}                                                                   \
	})

#endif /* __KERNO_COMMON_BPF_H */
