/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oom.bpf.c ↔ user space: one record per OOM-killer victim, through a ring buffer.
 * All integers little-endian; sizes and offsets in bytes.
 *
 * Maps
 *   events    RINGBUF, OOM_RINGBUF_BYTES. Records are struct oom_event, submitted with BPF_RB_NO_WAKEUP:
 *             user space drains on a timer (epoll will not wake for them).
 *   counters  PERCPU_ARRAY __u32 → __u64, OOM_NR_COUNTERS entries (indexes below)
 *
 * Program (attach type tp_btf): mark_victim
 *
 * Rodata: self_tgid (__u32): a victim with this tgid is ignored (nobody would read the record).
 */
#ifndef __KERNO_OOM_H
#define __KERNO_OOM_H

#define OOM_RINGBUF_BYTES (256 * 1024)

/* flags */
#define OOM_F_PID_ONLY	 1 /* old mark_victim(int pid) kernel (< v6.8): only `tid` is valid; the other
			    * victim fields are zero and `pid` is 0 (read /proc/<tid> while it lasts) */
#define OOM_F_NO_MM	 2 /* victim had no mm (already exiting): rss_* and total_vm_pages are 0 */
#define OOM_F_NO_MEMCG	 4 /* no memory controller in this kernel: memcg_id is 0 */

/* events record: 112 bytes, no implicit padding */
struct oom_event {
	__u64 ts_boot_ns;	/* off 0: bpf_ktime_get_boot_ns() (CLOCK_BOOTTIME, counts suspend) */
	__u64 memcg_id;		/* off 8: kernfs id (inode number) of the victim's memory cgroup: under cgroup
				 * v1 a directory of /sys/fs/cgroup/memory, under v2 the nearest cgroup2
				 * directory with the memory controller. 1 = root. */
	__u64 cgroup_id;	/* off 16: the victim's cgroup id on the default (v2) hierarchy, the value of
				 * bpf_get_current_cgroup_id() / name_to_handle_at() on cgroup2 */
	__u64 rss_anon_pages;	/* off 24: MM_ANONPAGES (approximate, as the kernel's own OOM report) */
	__u64 rss_file_pages;	/* off 32: MM_FILEPAGES */
	__u64 rss_shmem_pages;	/* off 40: MM_SHMEMPAGES; rss = anon + file + shmem, × page size */
	__u64 total_vm_pages;	/* off 48: mm->total_vm */
	__u32 pid;		/* off 56: victim tgid */
	__u32 tid;		/* off 60: victim thread id (the task the OOM killer chose) */
	__u32 uid;		/* off 64: victim's real uid (0 with OOM_F_PID_ONLY) */
	__s32 oom_score_adj;	/* off 68: victim's signal->oom_score_adj, -1000..1000 */
	__u32 trigger_pid;	/* off 72: tgid of the task whose allocation invoked the OOM killer */
	__u32 flags;		/* off 76: OOM_F_* */
	char comm[16];		/* off 80: victim's comm (thread-group leader), NUL-padded */
	char trigger_comm[16];	/* off 96: trigger's comm (thread-group leader) */
};

/* counters indexes */
#define OOM_CNT_EVENTS		0 /* records submitted */
#define OOM_CNT_RINGBUF_FULL	1 /* drop: ring buffer reserve failed */
#define OOM_NR_COUNTERS		2

#endif /* __KERNO_OOM_H */
