/* SPDX-License-Identifier: GPL-2.0 */
/*
 * syscall.bpf.c ↔ user space: per-(syscall, process) latency histograms, error and errno counts.
 * All integers little-endian; sizes and offsets in bytes.
 *
 * Maps
 *   hists     PERCPU_HASH, BPF_F_NO_PREALLOC, max SYSCALL_MAX_KEYS (user space lowers it
 *             to its memory budget: src/collectors/bpf-loader.ts PERCPU_MAP_BUDGET)
 *             key struct syscall_key → value struct syscall_value (one copy per CPU)
 *   hists_shared  HASH, BPF_F_NO_PREALLOC, max SYSCALL_MAX_KEYS (user space lowers it to its memory
 *             budget: bpf-loader.ts SHARED_MAP_BUDGET)
 *             key struct syscall_key → value struct syscall_value (one shared copy, atomic updates)
 *             Keys whose per-CPU insert failed for lack of per-CPU memory or found `hists` full (few
 *             keys on many-CPU hosts); busy ones are retried into
 *             `hists` every 1024 samples. The same key may appear in both maps: a key's totals are
 *             hists (summed over CPUs) + hists_shared.
 *   overflow  ARRAY (shared, atomic updates), SYSCALL_OVERFLOW_SLOTS entries (preallocated)
 *             key __u32 nr (nr >= 511 folded into 511) → value struct syscall_value
 *             The "[other]" bucket: samples whose (nr, tgid) key could be inserted into neither map
 *             (full). comm is empty. Read all 512 entries and skip those with h.count == 0. One shared
 *             copy, not per CPU: the rare path, ~1.1 MB whatever the CPU count (per CPU: 210 MB at 192).
 *   errnos    HASH (shared, atomic adds), max SYSCALL_ERRNO_KEYS
 *             key struct syscall_errno_key → value __u64 count
 *   comms     LRU_HASH, max COMMS_MAX (16384): key __u32 tgid → value char[16] comm (common.bpf.h).
 *             The process's latest name (rewritten at exec); prefer it over the value's comm, which is
 *             the name when the key was inserted (a shell child's keys say "sh" otherwise).
 *   counters  PERCPU_ARRAY __u32 → __u64, SYSCALL_NR_COUNTERS entries (indexes below)
 *   slowest   PERCPU_ARRAY, 1 entry: key __u32 0 → struct syscall_slowest, this CPU's longest syscall that
 *             is not a wait (`live_waits`). Take the max over CPUs. User space may zero it (a new window).
 *   start_task / start_hash: internal (enter timestamps), not for user space.
 *
 * Programs (attach type tp_btf). Load exactly one enter/exit pair, the other with autoload off:
 *   sys_enter, sys_exit             start time in task storage (preferred, cheaper)
 *   sys_enter_hash, sys_exit_hash   start time in a tid-keyed hash (fallback: no task storage).
 *                                   Shrink start_hash (bpf_map__set_max_entries(…, 1)) when unused: it is
 *                                   preallocated (~2.5 MiB at 32768 entries).
 * and always:
 *   sched_process_exec              refreshes `comms`
 *
 * Rodata: self_tgid (__u32, kerno's own tgid; its syscalls are ignored); live_waits (__u64[8], bitmap of
 * the syscall numbers whose latency is a wait — the collector's blocking list — kept out of `slowest`;
 * file reads, nr | SYSCALL_NR_FILE_BIT, are never waits).
 *
 * Keys are never deleted in the kernel: user space deletes what it has read (or everything, and zeroes
 * `overflow`) at each window or scrape, which also keeps exited processes from filling `hists`.
 *
 * Per-CPU values: sum errors/count/sum_ns/slots over CPUs, max of max_ns; comm is set only in the copy
 * of the CPU that inserted the key: take the first non-empty one. Syscall numbers are the native x86_64
 * ones (32-bit compat syscalls are recorded under their compat numbers).
 */
#ifndef __KERNO_SYSCALL_H
#define __KERNO_SYSCALL_H

#include "hist.h"

#define SYSCALL_MAX_KEYS	  10240
#define SYSCALL_OVERFLOW_SLOTS	  512
#define SYSCALL_ERRNO_KEYS	  10240
#define SYSCALL_START_HASH_KEYS	  32768

/*
 * read, readv and preadv2 of a regular file or block device are recorded under nr | SYSCALL_NR_FILE_BIT,
 * apart from the same calls on pipes, sockets and terminals: those wait for a peer ("blocking", idle
 * waits), while a slow file read is storage making the caller wait. Files of kernel-interface
 * filesystems (proc, sysfs, tracefs, cgroup …) stay plain: /proc/kmsg and trace_pipe block like pipes.
 * (pread64 and preadv need a seekable
 * file: they are never waits for a peer and keep their number.) Bit 29: clear of x86_64 numbers and of
 * the x32 bit (30). Such keys fold into overflow slot SYSCALL_OVERFLOW_SLOTS - 1.
 */
#define SYSCALL_NR_FILE_BIT	  (1U << 29)

/* hists key: 8 bytes */
struct syscall_key {
	__u32 nr;   /* off 0: syscall number, | SYSCALL_NR_FILE_BIT for file reads */
	__u32 tgid; /* off 4: process id */
};

/* hists / hists_shared / overflow value: 2224 bytes */
struct syscall_value {
	__u64 errors;	   /* off 0: returns in [-4095, -1] */
	char comm[16];	   /* off 8: thread-group leader's comm, NUL-padded */
	struct hist h;	   /* off 24: latency in ns, sys_enter → sys_exit (layout in hist.h) */
};

/* errnos key: 12 bytes, no padding */
struct syscall_errno_key {
	__u32 nr;   /* off 0 */
	__u32 tgid; /* off 4 */
	__u32 err;  /* off 8: positive errno, 1..4095 */
};

/*
 * slowest value: 16 bytes. The longest single syscall since attach (or since user space last zeroed the
 * map), among syscalls that are not waits: the live view's "slowest syscall + process", one lookup.
 */
struct syscall_slowest {
	__u64 max_ns; /* off 0: 0 = none yet */
	__u32 nr;     /* off 8: as recorded (| SYSCALL_NR_FILE_BIT for file reads) */
	__u32 tgid;   /* off 12 */
};

/* Words of the `live_waits` rodata bitmap: syscalls 0..511 (bit nr % 64 of word nr / 64). */
#define SYSCALL_LIVE_WAIT_WORDS 8

/* counters indexes */
#define SYSCALL_CNT_EVENTS	 0 /* syscalls recorded (hists + hists_shared + overflow) */
#define SYSCALL_CNT_OVERFLOWED	 1 /* drop of detail: sample went to `overflow`, its key fitting in neither
				    * `hists` nor `hists_shared` */
#define SYSCALL_CNT_START_FAIL	 2 /* drop: enter timestamp not stored (task storage busy / start_hash full) */
#define SYSCALL_CNT_NO_START	 3 /* exit without a stored enter: in flight at attach time, or a START_FAIL */
#define SYSCALL_CNT_ERRNO_FULL	 4 /* drop: `errnos` full, errno not counted (errors still are) */
#define SYSCALL_CNT_SHARED	 5 /* not a drop: keys inserted into `hists_shared` (per-CPU pool dry, or `hists` full) */
#define SYSCALL_CNT_PROMOTED	 6 /* not a drop: `hists_shared` keys later also inserted into `hists` */
#define SYSCALL_NR_COUNTERS	 7

#endif /* __KERNO_SYSCALL_H */
