// SPDX-License-Identifier: GPL-2.0
/*
 * Feature probes: one empty program per attach type. The prober loads and attaches each one on its own
 * (autoload off for the rest), because `bpftool feature probe` and even a successful load overstate what
 * works: fentry is refused with EPERM at load on this project's reference kernel and may instead fail at
 * attach elsewhere, and classic tracepoints load without tracefs but need it mounted to attach.
 *
 *   probe_tp_btf      tp_btf/sys_enter                     BTF-typed raw tracepoint (kerno's default)
 *   probe_raw_tp      raw_tp/sys_enter                     untyped raw tracepoint (first fallback)
 *   probe_tracepoint  tracepoint/syscalls/sys_enter_getppid classic tracepoint (needs tracefs)
 *   probe_fentry      fentry/vfs_read                      BPF trampoline (often blocked)
 *   probe_kprobe      kprobe/vfs_read                      kprobe (no kprobe PMU on the reference kernel;
 *                                                          built into the Debian kernels users run)
 *
 * They only return: attaching one costs a few nanoseconds per event for as long as the probe holds it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sys_enter")
int BPF_PROG(probe_tp_btf)
{
	return 0;
}

SEC("raw_tp/sys_enter")
int probe_raw_tp(struct bpf_raw_tracepoint_args *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int probe_tracepoint(void *ctx)
{
	return 0;
}

SEC("fentry/vfs_read")
int BPF_PROG(probe_fentry)
{
	return 0;
}

SEC("kprobe/vfs_read")
int BPF_KPROBE(probe_kprobe)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
