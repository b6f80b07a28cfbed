// SPDX-License-Identifier: GPL-2.0
/*
 * `kerno watch tcp`: per connection, an RTT histogram, retransmits and the owning process, aggregated in
 * the kernel (user space takes the per-window differences). IPv4 and IPv6, every network namespace. Map
 * layouts and the window protocol: watch_tcp.h.
 *
 * Why not bpf/tcp.bpf.c's maps: its `conns` holds only connections that retransmitted, with no RTT
 * distribution, and its RTT histogram is host-wide; the tcp collector's numbers must not change, so this
 * is a separate object loaded only while `kerno watch tcp` runs.
 *
 * Contexts: tcp_probe runs per incoming segment in softirq or backlog processing, retransmits mostly in
 * timer softirq, the owner programs in process context: the shared counters are updated atomically. The
 * fields that follow the socket's own counters (total_base, retrans_segs) are written only by events on
 * that socket, which run under its lock.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "common.bpf.h"
#include "core_fixes.bpf.h"
#include "hist.bpf.h"
#include "watch_tcp.h"

struct owner {
	__u32 pid; /* owner tgid, 0 = unknown */
	__u32 pad;
	char comm[COMM_LEN];
};

/* Socket-local storage: freed with the socket, nothing to expire. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct owner);
} sk_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, WATCH_TCP_MAX_CONNS);
	__type(key, struct watch_tcp_key);
	__type(value, struct watch_tcp_value);
} conns SEC(".maps");

/* A zeroed value to insert from: struct watch_tcp_value is too big for the BPF stack. Never written. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct watch_tcp_value);
} zero_value SEC(".maps");

DEFINE_COUNTERS(WATCH_TCP_NR_COUNTERS);

static __always_inline void fill_key(struct watch_tcp_key *key, const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	key->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	key->family = family;
	key->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	key->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == WATCH_TCP_AF_INET6) {
		BPF_CORE_READ_INTO(&key->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&key->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)key->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)key->daddr, sk, __sk_common.skc_daddr);
	}
}

/* The socket's own count of retransmitted segments: tcp_sock.total_retrans (`ss -ti` retrans:…/N). */
static __always_inline __u32 sock_total_retrans(const struct sock *sk)
{
	return BPF_CORE_READ((struct tcp_sock *)sk, total_retrans);
}

/*
 * The socket's connection's value, created on first use with total_base = `base` (the socket's
 * total_retrans less what the creating event itself retransmitted); NULL when the map is full.
 */
static __always_inline struct watch_tcp_value *conn_value(const struct sock *sk, struct owner *info,
							  __u32 base)
{
	struct watch_tcp_key key = {};
	struct watch_tcp_value *v;
	__u32 zero = 0;
	bool created;
	void *init;

	fill_key(&key, sk);
	v = bpf_map_lookup_elem(&conns, &key);
	if (!v) {
		init = bpf_map_lookup_elem(&zero_value, &zero);
		if (!init)
			return NULL;
		created = bpf_map_update_elem(&conns, &key, init, BPF_NOEXIST) == 0;
		v = bpf_map_lookup_elem(&conns, &key);
		if (!v) {
			count_atomic(WATCH_TCP_CNT_CONN_UPDATE_FAIL);
			return NULL;
		}
		/* Events on one socket run under its lock: nothing else writes the entry before this. */
		if (created)
			v->total_base = base;
	}
	/* The owner may become known after the key was made (first sendmsg after the first segment). */
	if (info && info->pid && !v->pid) {
		__builtin_memcpy(v->comm, info->comm, sizeof(v->comm));
		v->pid = info->pid;
	}
	return v;
}

/*
 * retrans_segs follows the socket's own counter, so a retransmit whose tracepoint run reached no program
 * is still counted at the socket's next event (measured on 6.18: 1–2 of ~230 segments in 5 of 16 runs,
 * with recursion_misses 0). Returns whether it grew. A smaller counter than recorded means a new socket
 * now holds the key (the same ports reused): it continues from the recorded count.
 */
static __always_inline bool note_total(struct watch_tcp_value *v, __u32 total)
{
	__u32 segs = total - v->total_base;
	__s32 grew = (__s32)(segs - (__u32)v->retrans_segs);

	if (grew > 0) {
		v->retrans_segs = segs;
		return true;
	}
	if (grew < 0)
		v->total_base = total - (__u32)v->retrans_segs;
	return false;
}

static __always_inline struct owner *owner_of(const struct sock *sk)
{
	return bpf_sk_storage_get(&sk_info, (struct sock *)sk, 0, 0);
}

/* Records the current process as the socket's owner, once. Returns false for kerno's own sockets. */
static __always_inline bool claim(const struct sock *sk)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct owner *info;

	info = bpf_sk_storage_get(&sk_info, (struct sock *)sk, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!info) {
		count_atomic(WATCH_TCP_CNT_SK_STORAGE_FAIL);
	} else if (!info->pid) {
		read_leader_comm(info->comm, task);
		info->pid = task->tgid;
	}
	return !is_self(task->tgid);
}

static __always_inline bool is_tcp_inet(const struct sock *sk)
{
	__u16 family;

	if (!sk || BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_TCP)
		return false;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	return family == WATCH_TCP_AF_INET || family == WATCH_TCP_AF_INET6;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(inet_sock_set_state, const struct sock *sk, int oldstate, int newstate)
{
	struct watch_tcp_key key = {};
	struct watch_tcp_value *v;
	struct owner *info;

	if (!is_tcp_inet(sk))
		return 0;
	/* connect(): the only transition that reliably runs in the owning process. */
	if (newstate == TCP_SYN_SENT) {
		claim(sk);
		return 0;
	}
	/*
	 * A closing connection gets no more tcp_probe runs (those are ESTABLISHED only): its last
	 * retransmits are read here. Only connections already in the map; no new entries.
	 */
	info = owner_of(sk);
	if (info && is_self(info->pid))
		return 0;
	fill_key(&key, sk);
	v = bpf_map_lookup_elem(&conns, &key);
	if (v && note_total(v, sock_total_retrans(sk))) {
		__sync_fetch_and_add(&v->events, 1);
		count_atomic(WATCH_TCP_CNT_EVENTS);
	}
	return 0;
}

/* sendmsg on any socket, in the sending process: names accepted sockets and ones older than the attach. */
/* Optional ("?"): the tracepoint is 6.3+; without it, accepted sockets stay unnamed. */
SEC("?tp_btf/sock_send_length")
int BPF_PROG(sock_send_length, struct sock *sk, int ret, int flags)
{
	struct owner *info;

	if (!is_tcp_inet(sk))
		return 0;
	info = owner_of(sk);
	if (info && info->pid)
		return 0;
	claim(sk);
	return 0;
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(tcp_probe, struct sock *sk)
{
	struct watch_tcp_value *v;
	struct owner *info = owner_of(sk);
	__u32 srtt_us, total;

	if (info && is_self(info->pid))
		return 0;
	srtt_us = BPF_CORE_READ((struct tcp_sock *)sk, srtt_us) >> 3;
	if (!srtt_us) /* no RTT measured yet (e.g. a pure receiver before it sent anything) */
		return 0;
	total = sock_total_retrans(sk);
	v = conn_value(sk, info, total);
	if (!v)
		return 0;
	note_total(v, total);
	hist_record_atomic(&v->rtt, (__u64)srtt_us * 1000);
	__sync_fetch_and_add(&v->events, 1);
	count_atomic(WATCH_TCP_CNT_EVENTS);
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit_skb, const struct sock *sk, const struct sk_buff *skb)
{
	struct watch_tcp_value *v;
	struct owner *info;
	struct tcp_skb_cb *cb;
	__u32 total;
	__u16 segs = 1;
	bool failed;

	info = owner_of(sk);
	if (info && is_self(info->pid))
		return 0;
	/*
	 * Since v6.17 failed attempts are traced too (err != 0). One that failed in the device was counted
	 * (RetransSegs, TCPRetransFail, total_retrans) before it was handed down; one refused earlier was not
	 * counted at all. The socket's counter tells which: only a successful one is a retransmit event.
	 */
	failed = tcp_retransmit_skb_has_err_arg() && (int)ctx[2] != 0;
	if (!failed && skb) {
		cb = (struct tcp_skb_cb *)&skb->cb[0];
		segs = BPF_CORE_READ(cb, tcp_gso_segs);
		if (!segs)
			segs = 1;
	}
	total = sock_total_retrans(sk);
	v = conn_value(sk, info, failed ? total : total - segs);
	if (!v)
		return 0;
	note_total(v, total);
	if (failed)
		return 0;
	__sync_fetch_and_add(&v->retransmits, 1);
	__sync_fetch_and_add(&v->events, 1);
	count_atomic(WATCH_TCP_CNT_EVENTS);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
