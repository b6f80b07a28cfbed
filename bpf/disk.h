/* SPDX-License-Identifier: GPL-2.0 */
/*
 * disk.bpf.c ↔ user space: block I/O latency (entering the block layer → completion, queueing included)
 * and bytes, per disk and operation class. All integers little-endian; sizes and offsets in bytes.
 *
 * Maps
 *   hists     HASH, BPF_F_NO_PREALLOC, max DISK_MAX_KEYS
 *             key struct disk_key → value struct disk_value (one shared copy, atomic updates)
 *   counters  PERCPU_ARRAY __u32 → __u64, DISK_NR_COUNTERS entries (indexes below)
 *   starts:   internal HASH (request pointer → issue time).
 *
 * Programs (attach type tp_btf), both required: block_rq_issue, block_rq_complete
 *
 * Rodata: self_tgid (__u32): requests issued while kerno is the current task are not measured.
 *
 * Values are shared (one copy per key): user space reads them as they are.
 */
#ifndef __KERNO_DISK_H
#define __KERNO_DISK_H

#include "hist.h"

#define DISK_MAX_KEYS	  1024
#define DISK_MAX_INFLIGHT 10240

/* Operation classes (disk_key.op). */
#define DISK_OP_READ  0 /* REQ_OP_READ */
#define DISK_OP_WRITE 1 /* REQ_OP_WRITE without SYNC/FUA/PREFLUSH: background writeback */
#define DISK_OP_SYNC  2 /* REQ_OP_FLUSH, or REQ_OP_WRITE with REQ_SYNC, REQ_FUA or REQ_PREFLUSH */
#define DISK_OP_SELF  3 /* `starts` only: issued by kerno itself, not measured */

/*
 * hists key: 8 bytes. dev is the whole disk (gendisk major/first_minor; partitions are folded into their
 * disk) in the kernel's MKDEV encoding: major = dev >> 20, minor = dev & 0xfffff ("maj:min" as in
 * /sys/dev/block). 0 if the request had no disk.
 */
struct disk_key {
	__u32 dev; /* off 0 */
	__u32 op;  /* off 4: DISK_OP_* */
};

/* hists value: 2208 bytes */
struct disk_value {
	__u64 bytes;	/* off 0: bytes of the completed requests (size at issue) */
	struct hist h;	/* off 8: start (rq->start_time_ns, else issue) → completion latency, ns */
};

/* counters indexes */
#define DISK_CNT_EVENTS		 0 /* requests completed and recorded */
#define DISK_CNT_INFLIGHT_FULL	 1 /* drop: `starts` full at issue, request not measured */
#define DISK_CNT_HISTS_FULL	 2 /* drop: `hists` full (or no per-CPU memory) at completion */
#define DISK_CNT_NO_START	 3 /* drop: completion without a recorded issue nor a block-layer start time */
#define DISK_CNT_OTHER_OPS	 4 /* discard, write-zeroes, zone ops, driver-private ...: not measured */
#define DISK_CNT_PARTIAL	 5 /* partial completions (the request stays in flight for the rest) */
#define DISK_CNT_ERRORS		 6 /* completions with a non-zero blk_status_t (still recorded) */
#define DISK_CNT_BLOCK_START	 7 /* completions without a recorded issue (in flight at attach, or not
				    stored: `starts` full) timed from rq->start_time_ns */
#define DISK_NR_COUNTERS	 8

#endif /* __KERNO_DISK_H */
