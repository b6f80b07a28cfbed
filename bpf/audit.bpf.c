// SPDX-License-Identifier: GPL-2.0
/*
 * The name of each process as it ends, for `kerno audit files`: fanotify reports only a pid, and kerno
 * reads /proc/<pid>/comm when it reads the event; a short-lived process (cat, rm) may be gone and reaped
 * by then. This map keeps the last name of recently ended processes, keyed by tgid (LRU).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

struct audit_comm {
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct audit_comm);
} exited_comm SEC(".maps");

/* Runs for every thread; only the last one (the thread group is dead) is the end of the process. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(kerno_audit_exit, struct task_struct *task)
{
	struct audit_comm v = {};
	__u32 tgid;

	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	tgid = task->tgid;
	/* The process's name is its leader's (what /proc/<tgid>/comm shows). */
	BPF_CORE_READ_STR_INTO(&v.comm, task, group_leader, comm);
	bpf_map_update_elem(&exited_comm, &tgid, &v, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
