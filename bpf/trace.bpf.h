/* SPDX-License-Identifier: GPL-2.0 */
/* Filter helpers shared by the trace_*.bpf.c programs; the rodata they read is documented in trace.h. */
#ifndef __KERNO_TRACE_BPF_H
#define __KERNO_TRACE_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "common.bpf.h"
#include "trace.h"

const volatile __u32 filter_tgid = 0;
const volatile char filter_comm[COMM_LEN] = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TRACE_RINGBUF_BYTES);
} events SEC(".maps");

DEFINE_COUNTERS(TRACE_NR_COUNTERS);

/* ASCII case-insensitive comparison with filter_comm (lower-cased by user space). */
static __always_inline bool comm_equal(const char *comm)
{
#pragma unroll
	for (int i = 0; i < COMM_LEN; i++) {
		char c = comm[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != filter_comm[i])
			return false;
		if (!c)
			return true;
	}
	return true;
}

/*
 * Whether `task` passes the pid and comm filters. With both off (rodata zero) the verifier removes the
 * whole body. The comm matches the thread's or the process's name: worker threads often rename
 * themselves, and the user names the program.
 */
static __always_inline bool task_selected(struct task_struct *task)
{
	char comm[COMM_LEN];

	if (filter_tgid && task->tgid != filter_tgid)
		return false;
	if (!filter_comm[0])
		return true;
	bpf_probe_read_kernel_str(comm, sizeof(comm), task->comm);
	if (comm_equal(comm))
		return true;
	read_leader_comm(comm, task);
	return comm_equal(comm);
}

#endif /* __KERNO_TRACE_BPF_H */
