// SPDX-License-Identifier: GPL-2.0
/*
 * `kerno trace disk`: one ring-buffer record per completed block request that passed the filters. Same
 * hooks and latency as disk.bpf.c (queued → completion). Record layout: trace.h.
 *
 * Rodata (besides trace.h's common filters, applied to the task that issues the request):
 *   op_mask         (__u32) bit DISK_OP_* set = that class is traced; 0 = all
 *   min_latency_ns  (__u64) only requests at least this slow; 0 = all
 *
 * The pid, comm and op filters run at issue: a request that does not match is never put in `starts`,
 * and its completion costs one failed hash lookup. Completion may run in interrupt context: counters are
 * updated atomically.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "trace.bpf.h"
#include "core_fixes.bpf.h"
#include "disk_op.bpf.h"

const volatile __u32 op_mask = 0;
const volatile __u64 min_latency_ns = 0;

struct start {
	__u64 ts;
	__u64 sector;
	__u32 bytes;
	__u32 op;
	__u32 pid;
	__u32 pad;
	char comm[COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TRACE_INFLIGHT);
	__type(key, __u64); /* struct request * */
	__type(value, struct start);
} starts SEC(".maps");

BTF_LAYOUT(trace_disk_event);

static __always_inline int issue(struct request *rq)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct start s = {};
	__u64 key = (__u64)rq;
	int op;

	if (is_self(task->tgid))
		return 0;
	op = op_class(rq);
	if (op < 0 || (op_mask && !(op_mask & (1U << op))))
		return 0;
	if (!task_selected(task))
		return 0;
	s.ts = bpf_ktime_get_ns();
	s.sector = BPF_CORE_READ(rq, __sector);
	s.bytes = BPF_CORE_READ(rq, __data_len);
	s.op = op;
	s.pid = task->tgid;
	bpf_get_current_comm(s.comm, sizeof(s.comm));
	if (bpf_map_update_elem(&starts, &key, &s, BPF_ANY))
		count_atomic(TRACE_CNT_MAP_FULL);
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(block_rq_issue)
{
	if (block_rq_issue_has_queue_arg())
		return issue((struct request *)ctx[1]);
	return issue((struct request *)ctx[0]);
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(block_rq_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	struct trace_disk_event *e;
	struct gendisk *disk;
	struct start *s;
	__u64 key = (__u64)rq, now, started, delta;

	s = bpf_map_lookup_elem(&starts, &key);
	if (!s)
		return 0;
	/* The tracepoint fires before the request is shrunk: fewer bytes than remain is a partial completion. */
	if (nr_bytes < BPF_CORE_READ(rq, __data_len))
		return 0;
	now = bpf_ktime_get_ns();
	started = BPF_CORE_READ(rq, start_time_ns);
	if (!started || started > s->ts)
		started = s->ts;
	delta = now - started;
	if (delta < min_latency_ns) {
		bpf_map_delete_elem(&starts, &key);
		return 0;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		bpf_map_delete_elem(&starts, &key);
		count_atomic(TRACE_CNT_RINGBUF_FULL);
		return 0;
	}
	e->ts_ns = now;
	e->latency_ns = delta;
	e->sector = s->sector;
	e->pid = s->pid;
	e->bytes = s->bytes;
	e->op = s->op;
	__builtin_memcpy(e->comm, s->comm, sizeof(e->comm));
	bpf_map_delete_elem(&starts, &key);
	disk = get_disk(rq);
	e->dev = disk ? ((__u32)BPF_CORE_READ(disk, major) << 20) | BPF_CORE_READ(disk, first_minor) : 0;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	count_atomic(TRACE_CNT_EVENTS);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
