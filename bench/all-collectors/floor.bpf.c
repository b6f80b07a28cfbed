// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of the syscall path: two programs on the hooks kerno's syscall collector uses, doing nothing.
 * What any tool that times syscalls this way pays before its first instruction (the tracepoint's call into
 * BPF, the recursion guard, RCU); bench/all-collectors/run.sh measures kerno against it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_exit, struct pt_regs *regs, long ret)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
