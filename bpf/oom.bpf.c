// SPDX-License-Identifier: GPL-2.0
/*
 * OOM kills: one ring-buffer record per victim, from the mark_victim tracepoint (no kprobe needed). The
 * victim's memory is still intact here: mark_oom_victim() runs right after SIGKILL is queued and before
 * the OOM reaper frees anything. Record layout: oom.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "common.bpf.h"
#include "core_fixes.bpf.h"
#include "oom.h"

/* Fixed since v4.5 (include/linux/mm_types_task.h); anonymous enum, so not CO-RE relocatable. */
#define MM_FILEPAGES  0
#define MM_ANONPAGES  1
#define MM_SHMEMPAGES 3

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, OOM_RINGBUF_BYTES);
} events SEC(".maps");

DEFINE_COUNTERS(OOM_NR_COUNTERS);
BTF_LAYOUT(oom_event);

/* task->cgroups->subsys[memory_cgrp_id]->cgroup->kn->id; the subsystem index is relocated by CO-RE. */
static __always_inline __u64 memcg_id_of(struct task_struct *task, __u32 *flags)
{
	struct cgroup_subsys_state *css = NULL;
	struct css_set *cgroups;
	int id;

	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id)) {
		*flags |= OOM_F_NO_MEMCG;
		return 0;
	}
	id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	cgroups = BPF_CORE_READ(task, cgroups);
	/* The index is a load-time constant, not a compile-time one: read the array slot by address. */
	bpf_probe_read_kernel(&css, sizeof(css), (void *)&cgroups->subsys[0] + id * sizeof(css));
	if (!css)
		return 0;
	return get_kernfs_id(BPF_CORE_READ(css, cgroup, kn));
}

SEC("tp_btf/mark_victim")
int BPF_PROG(mark_victim)
{
	struct task_struct *trigger = bpf_get_current_task_btf();
	struct task_struct *victim;
	struct oom_event *e;
	struct mm_struct *mm;
	__u32 flags = 0;

	if (!mark_victim_has_task_arg()) {
		/* (int pid): nothing else about the victim is reachable without a kprobe. */
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e) {
			count(OOM_CNT_RINGBUF_FULL);
			return 0;
		}
		__builtin_memset(e, 0, sizeof(*e));
		e->ts_boot_ns = bpf_ktime_get_boot_ns();
		e->tid = (__u32)ctx[0];
		e->flags = OOM_F_PID_ONLY;
		e->trigger_pid = trigger->tgid;
		read_leader_comm(e->trigger_comm, trigger);
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
		count(OOM_CNT_EVENTS);
		return 0;
	}

	victim = (struct task_struct *)ctx[0];
	if (is_self(BPF_CORE_READ(victim, tgid)))
		return 0;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(OOM_CNT_RINGBUF_FULL);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_boot_ns = bpf_ktime_get_boot_ns();
	e->pid = BPF_CORE_READ(victim, tgid);
	e->tid = BPF_CORE_READ(victim, pid);
	e->uid = (__u32)ctx[1];
	e->oom_score_adj = BPF_CORE_READ(victim, signal, oom_score_adj);
	read_leader_comm(e->comm, victim);
	e->memcg_id = memcg_id_of(victim, &flags);
	e->cgroup_id = get_kernfs_id(BPF_CORE_READ(victim, cgroups, dfl_cgrp, kn));

	mm = BPF_CORE_READ(victim, mm);
	if (mm) {
		e->rss_anon_pages = get_mm_counter(mm, MM_ANONPAGES);
		e->rss_file_pages = get_mm_counter(mm, MM_FILEPAGES);
		e->rss_shmem_pages = get_mm_counter(mm, MM_SHMEMPAGES);
		e->total_vm_pages = BPF_CORE_READ(mm, total_vm);
	} else {
		flags |= OOM_F_NO_MM;
	}

	e->trigger_pid = trigger->tgid;
	read_leader_comm(e->trigger_comm, trigger);
	e->flags = flags;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	count(OOM_CNT_EVENTS);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
