/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sched.bpf.c ↔ user space: run-queue delay (wakeup or preemption → running on a CPU), host-wide and
 * per process. All integers little-endian; sizes and offsets in bytes.
 *
 * Maps
 *   runq      PERCPU_ARRAY, 1 entry: key __u32 0 → struct hist (hist.h), every delay on the host, ns
 *   procs     PERCPU_HASH, BPF_F_NO_PREALLOC, max SCHED_MAX_PROCS (user space lowers it
 *             to its memory budget: src/collectors/bpf-loader.ts PERCPU_MAP_BUDGET)
 *             key __u32 tgid → value struct sched_value (one copy per CPU)
 *   procs_shared  HASH, BPF_F_NO_PREALLOC, max SCHED_MAX_PROCS (user space lowers it to its memory
 *             budget: bpf-loader.ts SHARED_MAP_BUDGET)
 *             key __u32 tgid → value struct sched_value (one shared copy, atomic updates)
 *             Processes whose per-CPU insert failed for lack of per-CPU memory or found `procs` full
 *             (few keys on many-CPU hosts); busy ones are retried
 *             into `procs` every 1024 samples. A tgid may appear in both maps: its histogram is procs
 *             (summed over CPUs) + procs_shared.
 *   comms     LRU_HASH, max COMMS_MAX (16384): key __u32 tgid → value char[16] comm (common.bpf.h).
 *             The process's latest name (rewritten at exec); prefer it over sched_value.comm.
 *   counters  PERCPU_ARRAY __u32 → __u64, SCHED_NR_COUNTERS entries (indexes below)
 *   longest   PERCPU_ARRAY, 1 entry: key __u32 0 → struct sched_longest, the longest delay recorded on this
 *             CPU (the live view's "longest wait + process"). Take the max over CPUs; user space may zero it.
 *   enqueued: internal TASK_STORAGE (time the task became runnable).
 *   enqueued_spill: internal LRU_HASH tid → time, max SCHED_MAX_SPILL: where that time goes when task
 *             storage refuses (see sched.bpf.c).
 *
 * Programs (attach type tp_btf), all required: sched_wakeup, sched_wakeup_new, sched_switch,
 * sched_process_exec (refreshes `comms`).
 *
 * Entries are never deleted in the kernel (a process that exited during the window still has its
 * delays): user space deletes the keys it has read, or all of them, at each window or scrape.
 *
 * Rodata: self_tgid (__u32): kerno's own threads are not measured.
 *
 * Per-CPU values: sum the histograms over CPUs (max of max_ns); comm is set only in the copy of the CPU
 * that inserted the key: take the first non-empty one. The idle task (pid 0) is never measured.
 */
#ifndef __KERNO_SCHED_H
#define __KERNO_SCHED_H

#include "hist.h"

#define SCHED_MAX_PROCS 8192
#define SCHED_MAX_SPILL 4096

/* procs value: 2216 bytes */
struct sched_value {
	char comm[16];	/* off 0: thread-group leader's comm, NUL-padded */
	struct hist h;	/* off 16: run-queue delay of the process's threads, ns */
};

/* longest value: 16 bytes. The longest single run-queue delay since attach (or since user space zeroed it). */
struct sched_longest {
	__u64 max_ns; /* off 0: 0 = none yet */
	__u32 tgid;   /* off 8: the process that waited */
	__u32 pid;    /* off 12: the thread that waited */
};

/* counters indexes */
#define SCHED_CNT_EVENTS	   0 /* delays recorded (into runq; into procs too unless PROCS_FULL) */
#define SCHED_CNT_PROCS_FULL	   1 /* drop of detail: no room in `procs`/`procs_shared`, host-wide only */
#define SCHED_CNT_STORAGE_FAIL	   2 /* drop: enqueue time stored neither in task storage nor in the spill map */
#define SCHED_CNT_SHARED	   3 /* not a drop: processes inserted into `procs_shared` */
#define SCHED_CNT_PROMOTED	   4 /* not a drop: `procs_shared` processes later also inserted into `procs` */
#define SCHED_NR_COUNTERS	   5

#endif /* __KERNO_SCHED_H */
