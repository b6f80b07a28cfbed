// SPDX-License-Identifier: GPL-2.0
/*
 * File-descriptor opens and closes per process, from sys_exit alone (no tracefs, no per-syscall
 * tracepoints). Most syscalls leave after one table lookup. Map layouts: fd.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "common.bpf.h"
#include "fd.h"

#define FD_NR_MAX 512

enum fd_kind {
	FD_NONE = 0,
	FD_OPEN,  /* returns the new descriptor */
	FD_PAIR,  /* returns 0 and writes two descriptors */
	FD_CLOSE, /* returns 0 on success */
	FD_FCNTL, /* a new descriptor only for F_DUPFD / F_DUPFD_CLOEXEC */
};

#define F_DUPFD		0
#define F_DUPFD_CLOEXEC 1030

/* x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
static const __u8 fd_kind[FD_NR_MAX] = {
	[2] = FD_OPEN,	 /* open */
	[3] = FD_CLOSE,	 /* close */
	[22] = FD_PAIR,	 /* pipe */
	[32] = FD_OPEN,	 /* dup */
	[33] = FD_OPEN,	 /* dup2 */
	[41] = FD_OPEN,	 /* socket */
	[43] = FD_OPEN,	 /* accept */
	[53] = FD_PAIR,	 /* socketpair */
	[72] = FD_FCNTL, /* fcntl */
	[85] = FD_OPEN,	 /* creat */
	[213] = FD_OPEN, /* epoll_create */
	[253] = FD_OPEN, /* inotify_init */
	[257] = FD_OPEN, /* openat */
	[282] = FD_OPEN, /* signalfd */
	[283] = FD_OPEN, /* timerfd_create */
	[284] = FD_OPEN, /* eventfd */
	[288] = FD_OPEN, /* accept4 */
	[289] = FD_OPEN, /* signalfd4 */
	[290] = FD_OPEN, /* eventfd2 */
	[291] = FD_OPEN, /* epoll_create1 */
	[292] = FD_OPEN, /* dup3 */
	[293] = FD_PAIR, /* pipe2 */
	[294] = FD_OPEN, /* inotify_init1 */
	[298] = FD_OPEN, /* perf_event_open */
	[300] = FD_OPEN, /* fanotify_init */
	[304] = FD_OPEN, /* open_by_handle_at */
	[319] = FD_OPEN, /* memfd_create */
	[323] = FD_OPEN, /* userfaultfd */
	[425] = FD_OPEN, /* io_uring_setup */
	[428] = FD_OPEN, /* open_tree */
	[430] = FD_OPEN, /* fsopen */
	[432] = FD_OPEN, /* fsmount */
	[433] = FD_OPEN, /* fspick */
	[434] = FD_OPEN, /* pidfd_open */
	[437] = FD_OPEN, /* openat2 */
	[438] = FD_OPEN, /* pidfd_getfd */
	[444] = FD_OPEN, /* landlock_create_ruleset */
	[447] = FD_OPEN, /* memfd_secret */
};

/*
 * Shared (atomic adds), not per-CPU: 40 bytes per process per CPU made 8192 processes 63 MB at 192 CPUs;
 * shared they are 0.9 MB, and only a process opening on many CPUs at once contends on its entry.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, FD_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct fd_value);
} procs SEC(".maps");

DEFINE_COUNTERS(FD_NR_COUNTERS);
DEFINE_COMMS();

static __always_inline void record(struct task_struct *task, __u32 tgid, __u64 opens, __u64 closes)
{
	struct fd_value *v, init = {};

	count(FD_CNT_EVENTS);
	counter_add(&counters, FD_CNT_OPENS, opens);
	counter_add(&counters, FD_CNT_CLOSES, closes);

	v = bpf_map_lookup_elem(&procs, &tgid);
	if (!v) {
		init.opens = opens;
		init.closes = closes;
		init.first_seen_ns = bpf_ktime_get_ns();
		read_leader_comm(init.comm, task);
		remember_comm(tgid, init.comm);
		if (!bpf_map_update_elem(&procs, &tgid, &init, BPF_NOEXIST))
			return;
		/* Another CPU inserted it first, or the map is full. */
		v = bpf_map_lookup_elem(&procs, &tgid);
		if (!v) {
			count(FD_CNT_MAP_FULL);
			return;
		}
	}
	if (opens)
		__sync_fetch_and_add(&v->opens, opens);
	if (closes)
		__sync_fetch_and_add(&v->closes, closes);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task;
	__u64 nr;
	__u8 kind;

	if (ret < 0)
		return 0;
	nr = regs->orig_ax;
	if (nr >= FD_NR_MAX)
		return 0;
	kind = fd_kind[nr];
	if (kind == FD_NONE)
		return 0;

	task = bpf_get_current_task_btf();
	if (is_self(task->tgid))
		return 0;

	switch (kind) {
	case FD_OPEN:
		record(task, task->tgid, 1, 0);
		break;
	case FD_PAIR:
		if (ret == 0)
			record(task, task->tgid, 2, 0);
		break;
	case FD_CLOSE:
		if (ret == 0)
			record(task, task->tgid, 0, 1);
		break;
	case FD_FCNTL: {
		/* fcntl(fd, cmd, ...): cmd is the second argument, still in the saved user registers. */
		__u64 cmd = regs->si;

		if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
			record(task, task->tgid, 1, 0);
		break;
	}
	}
	return 0;
}

/*
 * Runs for every exiting thread; signal->live reaches 0 (decremented before this tracepoint in
 * do_exit()) only for the last one, which is when the process's descriptors are gone. The (task) and
 * (task, group_dead) prototypes both work: only the first argument is read.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *task)
{
	__u32 tgid;

	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	tgid = task->tgid;
	if (!bpf_map_delete_elem(&procs, &tgid))
		count(FD_CNT_EXITED);
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
