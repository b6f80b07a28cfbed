/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fd.bpf.c ↔ user space: file descriptors created and closed, per process.
 * All integers little-endian; sizes and offsets in bytes.
 *
 * Maps
 *   procs     HASH, BPF_F_NO_PREALLOC, max FD_MAX_PROCS
 *             key __u32 tgid → value struct fd_value (one shared copy, atomic adds)
 *             An entry is deleted when its process exits (the last thread): only live processes can leak.
 *   comms     LRU_HASH, max COMMS_MAX (16384): key __u32 tgid → value char[16] comm (common.bpf.h).
 *             The process's latest name (rewritten at exec); prefer it over fd_value.comm.
 *   counters  PERCPU_ARRAY __u32 → __u64, FD_NR_COUNTERS entries (indexes below)
 *
 * Programs (attach type tp_btf), all required:
 *   sys_exit            counts successful descriptor-creating syscalls and close() == 0
 *   sched_process_exit  deletes the exiting process's entry
 *   sched_process_exec  refreshes `comms`
 *
 * Rodata: self_tgid (__u32, kerno's own tgid; ignored).
 *
 * What counts as an open (x86_64 numbers), when the syscall returns >= 0: open, openat, openat2, creat,
 * open_by_handle_at, socket, accept, accept4, dup, dup2, dup3, fcntl(F_DUPFD | F_DUPFD_CLOEXEC),
 * epoll_create, epoll_create1, eventfd, eventfd2, signalfd, signalfd4, timerfd_create, inotify_init,
 * inotify_init1, fanotify_init, memfd_create, memfd_secret, userfaultfd, perf_event_open, pidfd_open,
 * pidfd_getfd, io_uring_setup, fsopen, fsmount, fspick, open_tree, landlock_create_ruleset.
 * Two opens when the syscall returns 0: pipe, pipe2, socketpair. A close: close() returning 0.
 * Not counted: bpf() (its fds are kerno's own business), close_range() (the count is unknown),
 * descriptors created or closed by io_uring requests or received via SCM_RIGHTS, and the implicit close
 * of dup2/dup3 onto an open descriptor.
 *
 * Values are shared (one copy per key, set at insert and then added to atomically).
 */
#ifndef __KERNO_FD_H
#define __KERNO_FD_H

#define FD_MAX_PROCS 8192

/* procs value: 40 bytes */
struct fd_value {
	__u64 opens;	     /* off 0: descriptors created */
	__u64 closes;	     /* off 8: successful close() calls */
	__u64 first_seen_ns; /* off 16: bpf_ktime_get_ns() (CLOCK_MONOTONIC) at insert */
	char comm[16];	     /* off 24: thread-group leader's comm, NUL-padded */
};

/* counters indexes */
#define FD_CNT_EVENTS	 0 /* syscalls recorded (an open, a pipe pair or a close) */
#define FD_CNT_MAP_FULL	 1 /* drop: `procs` full (or out of memory): not attributed, still in totals */
#define FD_CNT_OPENS	 2 /* total descriptors created, all processes (exact even when entries are gone) */
#define FD_CNT_CLOSES	 3 /* total successful close() calls, all processes */
#define FD_CNT_EXITED	 4 /* entries deleted because their process exited */
#define FD_NR_COUNTERS	 5

#endif /* __KERNO_FD_H */
