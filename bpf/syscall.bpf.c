// SPDX-License-Identifier: GPL-2.0
/*
 * Syscall latency and errors, aggregated in the kernel per (syscall, process).
 *
 * sys_enter stores {time, nr} for the thread; sys_exit turns it into one histogram sample. Nothing goes
 * to user space per syscall: the collector reads `hists`, `hists_shared`, `overflow`, `errnos` and
 * `comms` at the end of its window. The hot path is a storage lookup and a per-CPU hash lookup; comm is read only when a key is
 * inserted, and the errno map is touched only on the error path. Map layouts: syscall.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "common.bpf.h"
#include "hist.bpf.h"
#include "syscall.h"

#define MAX_ERRNO	4095
#define ENOMEM		12
#define E2BIG		7
#define NR_EXIT		60  /* x86_64 exit: never returns */
#define NR_EXIT_GROUP	231 /* x86_64 exit_group: never returns */
#define NR_READ		0
#define NR_READV	19
#define NR_PREADV2	327
#define S_IFMT_		00170000
#define S_IFREG_	0100000
#define S_IFBLK_	0060000

/*
 * Kernel-interface filesystems whose "regular" files can block like a pipe (/proc/kmsg, tracefs
 * trace_pipe, cgroup event files) or are not storage at all: reads there stay plain (blocking) reads.
 */
static __always_inline bool pseudo_fs(unsigned long magic)
{
	return magic == 0x9fa0 /* proc */ || magic == 0x62656572 /* sysfs */ ||
	       magic == 0x74726163 /* tracefs */ || magic == 0x64626720 /* debugfs */ ||
	       magic == 0x27e0eb /* cgroup */ || magic == 0x63677270 /* cgroup2 */ ||
	       magic == 0x73636673 /* securityfs */ || magic == 0x6165676c /* pstore */ ||
	       magic == 0x62656570 /* configfs */ || magic == 0xcafe4a11 /* bpf */ ||
	       magic == 0xde5e81e4 /* efivarfs */;
}

struct start {
	__u64 ts;
	__u32 nr;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct start);
} start_task SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYSCALL_START_HASH_KEYS);
	__type(key, __u32); /* tid */
	__type(value, struct start);
} start_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SYSCALL_MAX_KEYS);
	__type(key, struct syscall_key);
	__type(value, struct syscall_value);
} hists SEC(".maps");

/*
 * Keys whose per-CPU insert failed with ENOMEM go here instead: a shared value comes from the slab,
 * which refills promptly, while the per-CPU allocator's atomic pool runs dry in bursts of new keys
 * (measured: ~3% of samples under process churn). Also keys that find it full (E2BIG): on many-CPU
 * hosts user space caps it to a few keys by memory. A key can be in both maps; user space adds them up.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SYSCALL_MAX_KEYS);
	__type(key, struct syscall_key);
	__type(value, struct syscall_value);
} hists_shared SEC(".maps");

/*
 * Preallocated, so recording into it cannot fail: the last resort when a key fits in neither map. Shared
 * (atomic updates), not per-CPU: it is the rare path, and 512 per-CPU histograms were 210 MB at 192 CPUs.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSCALL_OVERFLOW_SLOTS);
	__type(key, __u32);
	__type(value, struct syscall_value);
} overflow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SYSCALL_ERRNO_KEYS);
	__type(key, struct syscall_errno_key);
	__type(value, __u64);
} errnos SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct syscall_slowest);
} slowest SEC(".maps");

DEFINE_COUNTERS(SYSCALL_NR_COUNTERS);
DEFINE_COMMS();

/* Written by user space before load (syscall.h): the syscalls whose latency is idle waiting. */
const volatile __u64 live_waits[SYSCALL_LIVE_WAIT_WORDS] = {};

/* One per-CPU lookup and a compare: the live view reads the worst without walking `hists`. */
static __always_inline void record_slowest(__u32 nr, __u32 tgid, __u64 delta)
{
	struct syscall_slowest *s;
	__u32 zero = 0, w;

	if (!(nr & SYSCALL_NR_FILE_BIT) && nr < SYSCALL_LIVE_WAIT_WORDS * 64) {
		w = nr / 64;
		barrier_var(w);
		if (w < SYSCALL_LIVE_WAIT_WORDS && ((live_waits[w] >> (nr % 64)) & 1))
			return;
	}
	s = bpf_map_lookup_elem(&slowest, &zero);
	if (s && delta > s->max_ns) {
		s->max_ns = delta;
		s->nr = nr;
		s->tgid = tgid;
	}
}

/* Inserted as the initial value of new keys (too large for the 512-byte stack). */
static const struct syscall_value zero_value;

static __always_inline void init_comm(struct syscall_value *v, __u32 tgid)
{
	if (!v->comm[0])
		read_leader_comm(v->comm, bpf_get_current_task_btf());
	remember_comm(tgid, v->comm);
}

static __always_inline void record_errno(__u32 nr, __u32 tgid, __u32 err)
{
	struct syscall_errno_key key = { .nr = nr, .tgid = tgid, .err = err };
	__u64 one = 1, *c;

	c = bpf_map_lookup_elem(&errnos, &key);
	if (!c) {
		if (!bpf_map_update_elem(&errnos, &key, &one, BPF_NOEXIST))
			return;
		c = bpf_map_lookup_elem(&errnos, &key);
		if (!c) {
			count(SYSCALL_CNT_ERRNO_FULL);
			return;
		}
	}
	__sync_fetch_and_add(c, 1);
}

static __always_inline void record(__u32 nr, __u32 tgid, __u64 delta, long ret)
{
	struct syscall_key key = { .nr = nr, .tgid = tgid };
	bool failed = ret < 0 && ret >= -MAX_ERRNO;
	struct syscall_value *v;
	__u32 slot;
	long err;

	count(SYSCALL_CNT_EVENTS);
	record_slowest(nr, tgid, delta);
	if (failed)
		record_errno(nr, tgid, -ret);

	/* Hot path: the key exists in the per-CPU map. */
	v = bpf_map_lookup_elem(&hists, &key);
	if (v)
		goto percpu;
	v = bpf_map_lookup_elem(&hists_shared, &key);
	if (v)
		goto shared;

	/* -EEXIST: another CPU inserted it first, look it up again. */
	err = bpf_map_update_elem(&hists, &key, &zero_value, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&hists, &key);
	if (v) {
		init_comm(v, tgid);
		goto percpu;
	}
	/* E2BIG: full, its size capped by user space on many-CPU hosts (bpf-loader.ts) */
	if (err == -ENOMEM || err == -E2BIG) {
		bpf_map_update_elem(&hists_shared, &key, &zero_value, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&hists_shared, &key);
		if (v) {
			count(SYSCALL_CNT_SHARED);
			init_comm(v, tgid);
			goto shared;
		}
	}

	/* Both maps full (or out of memory): fold into the per-syscall "[other]" bucket. */
	count(SYSCALL_CNT_OVERFLOWED);
	slot = nr < SYSCALL_OVERFLOW_SLOTS ? nr : SYSCALL_OVERFLOW_SLOTS - 1;
	v = bpf_map_lookup_elem(&overflow, &slot);
	if (!v)
		return; /* unreachable: slot < max_entries */
	hist_record_atomic(&v->h, delta);
	if (failed)
		__sync_fetch_and_add(&v->errors, 1);
	return;
percpu:
	hist_record(&v->h, delta);
	if (failed)
		v->errors++;
	return;
shared:
	hist_record_atomic(&v->h, delta);
	if (failed)
		__sync_fetch_and_add(&v->errors, 1);
	/*
	 * Keys inserted while the pool was dry are often the busiest ones (right after attach): every
	 * 1024 samples, try to move the key to the per-CPU map, which the lookup order then prefers.
	 */
	if ((v->h.count & 1023) == 0 &&
	    !bpf_map_update_elem(&hists, &key, &zero_value, BPF_NOEXIST)) {
		v = bpf_map_lookup_elem(&hists, &key);
		if (v)
			init_comm(v, tgid);
		count(SYSCALL_CNT_PROMOTED);
	}
}

/*
 * The number to record a syscall under: a read of a regular file or block device gets
 * SYSCALL_NR_FILE_BIT (syscall.h). Only read, readv and preadv2 pay for the fd → inode walk.
 */
static __always_inline __u32 classify(struct pt_regs *regs, long id)
{
	struct task_struct *task;
	struct fdtable *fdt;
	struct file **fds, *f;
	struct inode *inode;
	unsigned int fd;
	umode_t mode;

	if (id != NR_READ && id != NR_READV && id != NR_PREADV2)
		return id;
	fd = BPF_CORE_READ(regs, di);
	task = bpf_get_current_task_btf();
	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return id;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return id;
	inode = BPF_CORE_READ(f, f_inode);
	mode = BPF_CORE_READ(inode, i_mode) & S_IFMT_;
	if (mode != S_IFREG_ && mode != S_IFBLK_)
		return id;
	if (mode == S_IFREG_ && pseudo_fs(BPF_CORE_READ(inode, i_sb, s_magic)))
		return id;
	return (__u32)id | SYSCALL_NR_FILE_BIT;
}

/* ---- task-storage pair (preferred) ---- */

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	struct start *s;

	/* kerno's own threads are filtered at exit: that keeps this path free of a pid lookup. */
	s = bpf_task_storage_get(&start_task, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		count(SYSCALL_CNT_START_FAIL);
		return 0;
	}
	s->nr = classify(regs, id);
	s->ts = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = task->tgid;
	struct start *s;
	__u64 ts;

	if (is_self(tgid))
		return 0;
	s = bpf_task_storage_get(&start_task, task, 0, 0);
	if (!s || !s->ts) {
		count(SYSCALL_CNT_NO_START);
		return 0;
	}
	ts = s->ts;
	/* Cleared so a later exit without a matching enter is not paired with a stale start. */
	s->ts = 0;
	record(s->nr, tgid, bpf_ktime_get_ns() - ts, ret);
	return 0;
}

/* ---- tid-hash pair (fallback for kernels without task storage for tracing programs) ---- */

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_hash, struct pt_regs *regs, long id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct start s = {};

	/* exit and exit_group never reach sys_exit: their entries would never be deleted. */
	if (is_self(pid_tgid >> 32) || id == NR_EXIT || id == NR_EXIT_GROUP)
		return 0;
	s.nr = classify(regs, id);
	s.ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&start_hash, &tid, &s, BPF_ANY))
		count(SYSCALL_CNT_START_FAIL);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_hash, struct pt_regs *regs, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid, tgid = pid_tgid >> 32;
	struct start *s;
	__u64 ts;
	__u32 nr;

	if (is_self(tgid))
		return 0;
	s = bpf_map_lookup_elem(&start_hash, &tid);
	if (!s) {
		count(SYSCALL_CNT_NO_START);
		return 0;
	}
	ts = s->ts;
	nr = s->nr;
	bpf_map_delete_elem(&start_hash, &tid);
	record(nr, tgid, bpf_ktime_get_ns() - ts, ret);
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
