/* SPDX-License-Identifier: GPL-2.0 */
/* The read / write / sync class of a block request, shared by disk.bpf.c and trace_disk.bpf.c. */
#ifndef __KERNO_DISK_OP_BPF_H
#define __KERNO_DISK_OP_BPF_H

#include <bpf/bpf_core_read.h>
#include "disk.h"

/* REQ_OP_BITS is 8 since v4.10 (commit ef295ecf090d "block: better op and flags encoding"). */
#define REQ_OP_MASK	0xff
#define REQ_OP_READ_	0
#define REQ_OP_WRITE_	1
#define REQ_OP_FLUSH_	2

/*
 * DISK_OP_* or -1 for operations that are not measured. Flag bit numbers are relocated by CO-RE. A write
 * is "sync" when someone waits for it (REQ_SYNC: fsync/O_DSYNC/O_DIRECT data, journal commits) or it
 * forces durability (FUA, PREFLUSH): what rwbs shows as S or F, the original's sync class.
 */
static __always_inline int op_class(struct request *rq)
{
	__u32 flags = BPF_CORE_READ(rq, cmd_flags);
	__u32 sync_mask = (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_FUA)) |
			  (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_PREFLUSH)) |
			  (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_SYNC));

	switch (flags & REQ_OP_MASK) {
	case REQ_OP_READ_:
		return DISK_OP_READ;
	case REQ_OP_WRITE_:
		return (flags & sync_mask) ? DISK_OP_SYNC : DISK_OP_WRITE;
	case REQ_OP_FLUSH_:
		return DISK_OP_SYNC;
	default:
		return -1;
	}
}

#endif /* __KERNO_DISK_OP_BPF_H */
