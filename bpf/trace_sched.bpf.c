// SPDX-License-Identifier: GPL-2.0
/*
 * `kerno trace sched`: one ring-buffer record per run-queue wait that passed the filters. Same hooks and
 * delay as sched.bpf.c (wakeup or preemption → switch-in). Record layout: trace.h.
 *
 * Rodata (besides trace.h's common filters, applied to the task that waits):
 *   min_latency_ns  (__u64) only waits at least this long (--threshold); 0 = all
 *
 * The pid and comm filters run at enqueue: a task that does not match gets no enqueue time, and its
 * switch-in costs one task-storage lookup. All three tracepoints run with interrupts off under the
 * runqueue lock, so plain per-CPU counter updates are safe.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "trace.bpf.h"
#include "core_fixes.bpf.h"

#define TASK_RUNNING 0

const volatile __u64 min_latency_ns = 0;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} enqueued SEC(".maps");

BTF_LAYOUT(trace_sched_event);

static __always_inline void enqueue(struct task_struct *p)
{
	__u64 *ts;

	if (!p->pid || is_self(p->tgid) || !task_selected(p))
		return;
	ts = bpf_task_storage_get(&enqueued, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ts) {
		count(TRACE_CNT_MAP_FULL);
		return;
	}
	*ts = bpf_ktime_get_ns();
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup, struct task_struct *p)
{
	enqueue(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new, struct task_struct *p)
{
	enqueue(p);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	struct trace_sched_event *e;
	__u64 *ts, now, delta;

	/* Preempted while runnable: it waits on the runqueue from now on, with no wakeup to mark it. */
	if (get_task_state(prev) == TASK_RUNNING)
		enqueue(prev);

	if (!next->pid)
		return 0;
	ts = bpf_task_storage_get(&enqueued, next, 0, 0);
	if (!ts || !*ts)
		return 0; /* not selected, runnable since before attach, or already measured */
	now = bpf_ktime_get_ns();
	delta = now - *ts;
	*ts = 0;
	if (delta < min_latency_ns)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(TRACE_CNT_RINGBUF_FULL);
		return 0;
	}
	e->ts_ns = now;
	e->delay_ns = delta;
	e->pid = next->tgid;
	e->tid = next->pid;
	e->cpu = bpf_get_smp_processor_id();
	e->prev_pid = prev->tgid;
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), next->comm);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	count(TRACE_CNT_EVENTS);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
