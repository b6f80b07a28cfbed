// SPDX-License-Identifier: GPL-2.0
/*
 * Run-queue delay: how long a runnable task waited for a CPU. The enqueue time is taken at wakeup (and
 * when a running task is preempted while still runnable), the delay at the switch that puts the task on
 * a CPU. Aggregated in the kernel into a host-wide and a per-process log-linear histogram, after
 * libbpf-tools runqlat. Map layouts: sched.h.
 *
 * All three tracepoints run with interrupts off under the runqueue lock, so plain per-CPU updates are
 * safe; `procs_shared` values are updated atomically. The enqueue time lives in task storage: no
 * pid-keyed map to fill up or leak on exit.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "common.bpf.h"
#include "core_fixes.bpf.h"
#include "hist.bpf.h"
#include "sched.h"

#define TASK_RUNNING 0
#define ENOMEM	     12
#define E2BIG	     7

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} enqueued SEC(".maps");

/*
 * Task storage refuses an update while another task-storage operation holds its per-CPU busy lock on this
 * CPU: a BPF program (the syscall collector's, which keeps its start times there too) that this wakeup or
 * switch interrupted or preempted. Rare, but a fork-heavy workload (a shell loop of short commands) hit it
 * about once per 10 s window. The time then goes here, keyed by thread id; LRU, so the entry of a task that
 * exits before it runs again ages out.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SCHED_MAX_SPILL);
	__type(key, __u32);
	__type(value, __u64);
} enqueued_spill SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hist);
} runq SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SCHED_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct sched_value);
} procs SEC(".maps");

/* Fallback for keys whose per-CPU insert found the per-CPU allocator's atomic pool dry (see syscall.bpf.c). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SCHED_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct sched_value);
} procs_shared SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sched_longest);
} longest SEC(".maps");

DEFINE_COUNTERS(SCHED_NR_COUNTERS);
DEFINE_COMMS();

static const struct sched_value zero_value;

static __always_inline void enqueue(struct task_struct *p)
{
	__u64 *ts;

	if (!p->pid || is_self(p->tgid))
		return;
	ts = bpf_task_storage_get(&enqueued, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ts) {
		__u32 tid = p->pid;
		__u64 now = bpf_ktime_get_ns();

		if (bpf_map_update_elem(&enqueued_spill, &tid, &now, BPF_ANY))
			count(SCHED_CNT_STORAGE_FAIL);
		return;
	}
	*ts = bpf_ktime_get_ns();
}

static __always_inline void init_comm(struct sched_value *v, struct task_struct *p, __u32 tgid)
{
	if (!v->comm[0])
		read_leader_comm(v->comm, p);
	remember_comm(tgid, v->comm);
}

static __always_inline void record_proc(struct task_struct *p, __u32 tgid, __u64 delta)
{
	struct sched_value *v;
	long err;

	v = bpf_map_lookup_elem(&procs, &tgid);
	if (v)
		goto percpu;
	v = bpf_map_lookup_elem(&procs_shared, &tgid);
	if (v)
		goto shared;
	/* -EEXIST: another CPU inserted it first, look it up again. */
	err = bpf_map_update_elem(&procs, &tgid, &zero_value, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&procs, &tgid);
	if (v) {
		init_comm(v, p, tgid);
		goto percpu;
	}
	/* E2BIG: full, its size capped by user space on many-CPU hosts (bpf-loader.ts) */
	if (err == -ENOMEM || err == -E2BIG) {
		bpf_map_update_elem(&procs_shared, &tgid, &zero_value, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&procs_shared, &tgid);
		if (v) {
			count(SCHED_CNT_SHARED);
			init_comm(v, p, tgid);
			goto shared;
		}
	}
	count(SCHED_CNT_PROCS_FULL);
	return;
percpu:
	hist_record(&v->h, delta);
	return;
shared:
	hist_record_atomic(&v->h, delta);
	/* Retry the per-CPU map now and then: the lookup order prefers it (see syscall.bpf.c). */
	if ((v->h.count & 1023) == 0 &&
	    !bpf_map_update_elem(&procs, &tgid, &zero_value, BPF_NOEXIST)) {
		v = bpf_map_lookup_elem(&procs, &tgid);
		if (v)
			init_comm(v, p, tgid);
		count(SCHED_CNT_PROMOTED);
	}
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
	struct sched_longest *lg;
	struct hist *h;
	__u32 zero = 0, tgid;
	__u64 *ts, delta;

	/* Preempted while runnable: it waits on the runqueue from now on, with no wakeup to mark it. */
	if (get_task_state(prev) == TASK_RUNNING)
		enqueue(prev);

	tgid = next->tgid;
	if (!next->pid || is_self(tgid))
		return 0;
	ts = bpf_task_storage_get(&enqueued, next, 0, 0);
	if (ts && *ts) {
		delta = bpf_ktime_get_ns() - *ts;
		*ts = 0;
	} else {
		/* Only when task storage held no time: runnable since before attach, already measured, or spilled. */
		__u32 tid = next->pid;
		__u64 *spilled = bpf_map_lookup_elem(&enqueued_spill, &tid);

		if (!spilled)
			return 0;
		delta = bpf_ktime_get_ns() - *spilled;
		bpf_map_delete_elem(&enqueued_spill, &tid);
	}

	h = bpf_map_lookup_elem(&runq, &zero);
	if (h)
		hist_record(h, delta);
	lg = bpf_map_lookup_elem(&longest, &zero);
	if (lg && delta > lg->max_ns) {
		lg->max_ns = delta;
		lg->tgid = tgid;
		lg->pid = next->pid;
	}
	record_proc(next, tgid, delta);
	count(SCHED_CNT_EVENTS);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_process_exec, struct task_struct *p)
{
	update_comm_on_exec(p);
	return 0;
}

SEC("tp_btf/task_rename")
int BPF_PROG(task_rename, struct task_struct *task, const char *comm)
{
	update_comm_on_rename(task, comm);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
