/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace_syscall.bpf.c, trace_disk.bpf.c, trace_sched.bpf.c ↔ user space (src/trace/): one ring-buffer
 * record per kernel event that passed the filters, and (trace syscall --top) per-window histograms.
 * All integers little-endian; sizes and offsets in bytes.
 *
 * Filters are `const volatile` rodata written by the loader before load, so the verifier sees constants
 * and drops the branches of filters that are off; an event that does not match costs the hook and a few
 * compares and never reaches the ring buffer. Common rodata:
 *   self_tgid    (__u32) kerno's own tgid: never traced (its output writes would trace themselves)
 *   filter_tgid  (__u32) only this process; 0 = all
 *   filter_comm  (char[16]) only tasks whose comm, or whose process's (thread-group leader's) comm, equals
 *                this, ASCII case-insensitively; user space writes it lower-cased. Empty = all
 * Object-specific rodata is listed in each object's header comment.
 *
 * Maps (every object)
 *   events    RINGBUF, TRACE_RINGBUF_BYTES. Records submitted with BPF_RB_NO_WAKEUP: user space drains
 *             on a timer.
 *   counters  PERCPU_ARRAY __u32 → __u64, TRACE_NR_COUNTERS entries (indexes below)
 * trace_syscall also: top (PERCPU_HASH) and top_shared (HASH, the fallback when a per-CPU insert finds no
 *             per-CPU memory): struct trace_top_key → struct trace_top_value; a key's window is the sum
 *             of both. top_gen: ARRAY, 1 entry, __u32, the current window generation.
 */
#ifndef __KERNO_TRACE_H
#define __KERNO_TRACE_H

#include "hist.h"

#define TRACE_RINGBUF_BYTES (4 * 1024 * 1024)
#define TRACE_INFLIGHT	    10240 /* trace_disk: requests in flight between issue and completion */
#define TRACE_TOP_KEYS	    10240

#define TRACE_CNT_EVENTS       0 /* events that passed every filter (records submitted, or --top samples) */
#define TRACE_CNT_RINGBUF_FULL 1 /* drop: ring buffer full, record lost (user space reads too slowly) */
#define TRACE_CNT_MAP_FULL     2 /* drop: no room to keep state (start time, in-flight request, top key) */
#define TRACE_NR_COUNTERS      3

/* trace_syscall `events` record: 56 bytes */
struct trace_syscall_event {
	__u64 ts_ns;	  /* off 0: exit time, bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	__u64 latency_ns; /* off 8: sys_enter → sys_exit */
	__s64 ret;	  /* off 16: return value (-errno on failure) */
	__u32 pid;	  /* off 24: tgid */
	__u32 tid;	  /* off 28 */
	__u32 nr;	  /* off 32: x86_64 syscall number */
	__u32 pad;	  /* off 36 */
	char comm[16];	  /* off 40: the thread's comm */
};

/* trace_syscall `top` key: 12 bytes. One histogram per (syscall, process) and window generation. */
struct trace_top_key {
	__u32 nr;   /* off 0 */
	__u32 tgid; /* off 4 */
	__u32 gen;  /* off 8: top_gen[0] when the sample was taken */
};

/* trace_syscall `top` / `top_shared` value: 2216 bytes */
struct trace_top_value {
	char comm[16];	/* off 0: the thread's comm, set by the CPU that inserted the key */
	struct hist h;	/* off 16: latency, ns (hist.h) */
};

/* trace_disk `events` record: 56 bytes */
struct trace_disk_event {
	__u64 ts_ns;	  /* off 0: completion time, CLOCK_MONOTONIC */
	__u64 latency_ns; /* off 8: queued (rq->start_time_ns, else issue) → completion, as disk.bpf.c */
	__u64 sector;	  /* off 16: first sector (512 B) at issue */
	__u32 pid;	  /* off 24: tgid of the task that issued the request (may be a kworker) */
	__u32 dev;	  /* off 28: major << 20 | first_minor of the whole disk (0 if unknown) */
	__u32 bytes;	  /* off 32: request size at issue */
	__u32 op;	  /* off 36: DISK_OP_* (disk.h) */
	char comm[16];	  /* off 40: comm of the issuing task */
};

/* trace_sched `events` record: 48 bytes */
struct trace_sched_event {
	__u64 ts_ns;	    /* off 0: switch-in time, CLOCK_MONOTONIC */
	__u64 delay_ns;	    /* off 8: runnable (wakeup or preemption) → on CPU */
	__u32 pid;	    /* off 16: tgid of the task that waited */
	__u32 tid;	    /* off 20 */
	__u32 cpu;	    /* off 24: the CPU it got */
	__u32 prev_pid;	    /* off 28: tgid of the task it replaced (0 = idle) */
	char comm[16];	    /* off 32: comm of the task that waited */
};

#endif /* __KERNO_TRACE_H */
