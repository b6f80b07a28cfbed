// SPDX-License-Identifier: GPL-2.0
/*
 * Block I/O latency per disk and read / write / sync class, after libbpf-tools biolatency -Q: from the
 * moment the request entered the block layer (rq->start_time_ns, what iostat's await counts) until it
 * completes, so time queued behind other I/O is included; from issue to the device when the kernel kept
 * no start time. Map layouts: disk.h.
 *
 * Issue runs in the submitter's or a kworker's context, completion usually in interrupt context:
 * counters are updated atomically. The histogram values are written only by block_rq_complete, which
 * BPF never runs nested on one CPU.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "common.bpf.h"
#include "core_fixes.bpf.h"
#include "hist.bpf.h"
#include "disk.h"
#include "disk_op.bpf.h"

struct start {
	__u64 ts;
	__u32 bytes;
	__u32 op;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DISK_MAX_INFLIGHT);
	__type(key, __u64); /* struct request * */
	__type(value, struct start);
} starts SEC(".maps");

/*
 * Shared (atomic updates), not per-CPU: completions are at most a few million a second spread over few
 * keys, while a per-CPU histogram per (disk, op) was 434 MB full at 192 CPUs.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, DISK_MAX_KEYS);
	__type(key, struct disk_key);
	__type(value, struct disk_value);
} hists SEC(".maps");

DEFINE_COUNTERS(DISK_NR_COUNTERS);

static const struct disk_value zero_value;

static __always_inline int issue(struct request *rq)
{
	struct start s = {};
	__u64 key = (__u64)rq;
	int op;

	op = op_class(rq);
	if (op < 0) {
		count_atomic(DISK_CNT_OTHER_OPS);
		return 0;
	}
	s.ts = bpf_ktime_get_ns();
	s.bytes = BPF_CORE_READ(rq, __data_len);
	/* Kept, marked, so that the completion knows it is kerno's own rather than one in flight at attach. */
	s.op = is_self(bpf_get_current_pid_tgid() >> 32) ? DISK_OP_SELF : op;
	/* Without room, only a request the block layer keeps no start time for is lost: the completion times
	 * the others from rq->start_time_ns. */
	if (bpf_map_update_elem(&starts, &key, &s, BPF_ANY) && !BPF_CORE_READ(rq, start_time_ns))
		count_atomic(DISK_CNT_INFLIGHT_FULL);
	return 0;
}

/*
 * Whether a completion should have had a recorded issue. Not for operations skipped at issue (counted
 * there), nor for zero-byte write completions: the flush state machine (block/blk-flush.c) ends a write
 * with REQ_PREFLUSH or REQ_FUA once more after its data part and its flush (separate requests, both
 * measured) have completed, and ends an empty REQ_PREFLUSH write without ever issuing it.
 */
static __always_inline bool issue_expected(struct request *rq, unsigned int nr_bytes)
{
	if (op_class(rq) < 0)
		return false;
	return nr_bytes != 0 || (BPF_CORE_READ(rq, cmd_flags) & REQ_OP_MASK) != REQ_OP_WRITE_;
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
	struct disk_key dkey = {};
	struct disk_value *v;
	struct gendisk *disk;
	struct start *s;
	__u64 key = (__u64)rq, delta, now, started;
	__u32 bytes, op;

	s = bpf_map_lookup_elem(&starts, &key);
	if (!s && !issue_expected(rq, nr_bytes))
		return 0;
	/* The tracepoint fires before the request is shrunk: fewer bytes than remain is a partial completion. */
	if (nr_bytes < BPF_CORE_READ(rq, __data_len)) {
		count_atomic(DISK_CNT_PARTIAL);
		return 0;
	}
	now = bpf_ktime_get_ns();
	/* Queued since: the block layer's own start time when it kept one (io stats or a scheduler). */
	started = BPF_CORE_READ(rq, start_time_ns);
	if (s) {
		if (!started || started > s->ts)
			started = s->ts;
		bytes = s->bytes;
		op = s->op;
		bpf_map_delete_elem(&starts, &key);
		if (op == DISK_OP_SELF)
			return 0;
	} else {
		/*
		 * Issued before the programs attached (or not stored: `starts` was full). The block layer's start
		 * time still times it, so a request stuck since before the window shows its whole latency; only
		 * without one is it lost. A request both not stored and without a start time counts at issue
		 * (map_full) and here (no_start): the total overstates such losses, never hides them.
		 */
		if (!started) {
			count_atomic(DISK_CNT_NO_START);
			return 0;
		}
		bytes = BPF_CORE_READ(rq, __data_len);
		op = op_class(rq);
		count_atomic(DISK_CNT_BLOCK_START);
	}
	delta = now > started ? now - started : 0;
	dkey.op = op;

	if ((__u8)error)
		count_atomic(DISK_CNT_ERRORS);
	disk = get_disk(rq);
	if (disk)
		dkey.dev = ((__u32)BPF_CORE_READ(disk, major) << 20) | BPF_CORE_READ(disk, first_minor);

	v = bpf_map_lookup_elem(&hists, &dkey);
	if (!v) {
		bpf_map_update_elem(&hists, &dkey, &zero_value, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&hists, &dkey);
		if (!v) {
			count_atomic(DISK_CNT_HISTS_FULL);
			return 0;
		}
	}
	__sync_fetch_and_add(&v->bytes, bytes);
	hist_record_atomic(&v->h, delta);
	count_atomic(DISK_CNT_EVENTS);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
