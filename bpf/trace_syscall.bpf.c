// SPDX-License-Identifier: GPL-2.0
/*
 * `kerno trace syscall`: one ring-buffer record per syscall that passed the filters (stream), or one
 * histogram sample per (syscall, process) and window (--top). Record and map layouts: trace.h.
 *
 * Rodata (besides trace.h's common filters):
 *   filter_nr       (__s32) only this syscall number; -1 = all
 *   min_latency_ns  (__u64) only syscalls at least this slow; 0 = all
 *
 * The pid, comm and syscall filters run at sys_enter, so a syscall that does not match does not even
 * store a start time; the latency filter can only run at sys_exit. Start times live in task storage (as
 * syscall.bpf.c), so there is no tid-keyed map to fill up or leak.
 *
 * Programs (tp_btf): sys_enter, plus exactly one of sys_exit (stream) or sys_exit_top (--top).
 * top_gen (ARRAY, 1 entry, __u32) is the window generation user space advances: it reads and deletes the
 * previous generation's `top` keys while new samples go to the new one, so no sample falls between windows.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "trace.bpf.h"
#include "hist.bpf.h"

#define NR_EXIT		60  /* x86_64 exit: never returns */
#define NR_EXIT_GROUP	231 /* x86_64 exit_group: never returns */

const volatile __s32 filter_nr = -1;
const volatile __u64 min_latency_ns = 0;

struct start {
	__u64 ts;
	__u32 nr;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct start);
} start_task SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, TRACE_TOP_KEYS);
	__type(key, struct trace_top_key);
	__type(value, struct trace_top_value);
} top SEC(".maps");

/*
 * Keys whose per-CPU insert failed (the per-CPU allocator's atomic pool runs dry in bursts of new keys,
 * as at attach): a shared value from the slab, updated atomically (see syscall.bpf.c).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, TRACE_TOP_KEYS);
	__type(key, struct trace_top_key);
	__type(value, struct trace_top_value);
} top_shared SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} top_gen SEC(".maps");

BTF_LAYOUT(trace_syscall_event);

static const struct trace_top_value zero_top;

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct start *s;

	if (filter_nr >= 0 && id != filter_nr)
		return 0;
	if (is_self(task->tgid) || id == NR_EXIT || id == NR_EXIT_GROUP)
		return 0;
	if (!task_selected(task))
		return 0;
	s = bpf_task_storage_get(&start_task, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		count(TRACE_CNT_MAP_FULL);
		return 0;
	}
	s->nr = id;
	s->ts = bpf_ktime_get_ns();
	return 0;
}

/* The finished syscall's start, cleared, and its latency; NULL when it was not selected at sys_enter. */
static __always_inline struct start *finish(struct task_struct *task, __u64 now, __u64 *latency)
{
	struct start *s = bpf_task_storage_get(&start_task, task, 0, 0);

	if (!s || !s->ts)
		return NULL;
	*latency = now - s->ts;
	/* Cleared so an exit without a selected enter (execve's, a filtered call's) is never paired with it. */
	s->ts = 0;
	if (*latency < min_latency_ns)
		return NULL;
	return s;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct trace_syscall_event *e;
	__u64 now = bpf_ktime_get_ns(), latency;
	struct start *s;

	s = finish(task, now, &latency);
	if (!s)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(TRACE_CNT_RINGBUF_FULL);
		return 0;
	}
	e->ts_ns = now;
	e->latency_ns = latency;
	e->ret = ret;
	e->pid = task->tgid;
	e->tid = task->pid;
	e->nr = s->nr;
	e->pad = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	count(TRACE_CNT_EVENTS);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_top, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct trace_top_key key = {};
	struct trace_top_value *v;
	__u64 now = bpf_ktime_get_ns(), latency;
	__u32 zero = 0, *gen;
	struct start *s;

	s = finish(task, now, &latency);
	if (!s)
		return 0;
	gen = bpf_map_lookup_elem(&top_gen, &zero);
	key.nr = s->nr;
	key.tgid = task->tgid;
	key.gen = gen ? *gen : 0;
	v = bpf_map_lookup_elem(&top, &key);
	if (v)
		goto percpu;
	v = bpf_map_lookup_elem(&top_shared, &key);
	if (v)
		goto shared;
	/* -EEXIST: another CPU inserted it first, look it up again. */
	bpf_map_update_elem(&top, &key, &zero_top, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&top, &key);
	if (v) {
		bpf_get_current_comm(v->comm, sizeof(v->comm));
		goto percpu;
	}
	bpf_map_update_elem(&top_shared, &key, &zero_top, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&top_shared, &key);
	if (!v) {
		count(TRACE_CNT_MAP_FULL);
		return 0;
	}
	if (!v->comm[0])
		bpf_get_current_comm(v->comm, sizeof(v->comm));
shared:
	hist_record_atomic(&v->h, latency);
	count(TRACE_CNT_EVENTS);
	return 0;
percpu:
	hist_record(&v->h, latency);
	count(TRACE_CNT_EVENTS);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
