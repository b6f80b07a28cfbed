// SPDX-License-Identifier: GPL-2.0
/*
 * TCP health: retransmits aggregated per connection in the kernel, reset and state-change counters, and
 * a smoothed-RTT histogram sampled per socket. Works for IPv4 and IPv6. Map layouts: tcp.h.
 *
 * Contexts: state changes happen in process context (connect, close) and softirq (handshake, timers);
 * retransmits mostly in timer softirq; tcp_probe per incoming segment in softirq or backlog processing.
 * Counters are therefore updated atomically.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "common.bpf.h"
#include "core_fixes.bpf.h"
#include "hist.bpf.h"
#include "tcp.h"

const volatile __u64 rtt_sample_interval_ns = 100000000ULL;
const volatile __u64 rtt_slow_ns = 100000000ULL;

struct sk_info {
	__u64 last_rtt_ns; /* when this socket last contributed an RTT sample */
	__u32 pid;	   /* owner tgid, 0 = unknown */
	__u32 pad;
	char comm[COMM_LEN];
};

/* Socket-local storage: freed with the socket, so nothing to expire and no map to fill. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sk_info);
} sk_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TCP_MAX_CONNS);
	__type(key, struct tcp_conn_key);
	__type(value, struct tcp_conn_value);
} conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hist);
} rtt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCP_MAX_NETNS);
	__type(key, __u32);
	__type(value, struct tcp_netns_value);
} netns SEC(".maps");

DEFINE_COUNTERS(TCP_NR_COUNTERS);

/* The inode of the socket's network namespace: a pod or container on a node is one namespace each. */
static __always_inline __u32 netns_of(const struct sock *sk)
{
	if (!sk)
		return 0;
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline struct tcp_netns_value *netns_stats(const struct sock *sk)
{
	struct tcp_netns_value *v, init = {};
	__u32 key = netns_of(sk);

	v = bpf_map_lookup_elem(&netns, &key);
	if (v)
		return v;
	bpf_map_update_elem(&netns, &key, &init, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&netns, &key);
	if (!v)
		count_atomic(TCP_CNT_NETNS_UPDATE_FAIL);
	return v;
}

static __always_inline struct sk_info *owner_of(const struct sock *sk)
{
	return bpf_sk_storage_get(&sk_info, (struct sock *)sk, 0, 0);
}

static __always_inline bool owned_by_self(const struct sock *sk)
{
	struct sk_info *info;

	if (!self_tgid || !sk)
		return false;
	info = owner_of(sk);
	return info && is_self(info->pid);
}

static __always_inline void fill_key(struct tcp_conn_key *key, const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	key->family = family;
	key->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	key->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == TCP_AF_INET6) {
		BPF_CORE_READ_INTO(&key->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&key->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)key->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)key->daddr, sk, __sk_common.skc_daddr);
	}
	key->netns = netns_of(sk);
}

/* Segments in the skb (tcp_skb_pcount()): what the kernel adds to RetransSegs for one retransmit. */
static __always_inline __u32 skb_segs(const struct sk_buff *skb)
{
	struct tcp_skb_cb *cb;
	__u16 segs;

	if (!skb)
		return 1;
	cb = (struct tcp_skb_cb *)&skb->cb[0];
	segs = BPF_CORE_READ(cb, tcp_gso_segs);
	return segs ? segs : 1;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit_skb, const struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_conn_key key = {};
	struct tcp_conn_value *v, init = {};
	struct tcp_netns_value *ns;
	struct sk_info *info;
	__u32 segs;

	/* Since v6.17 failed attempts are traced too; RetransSegs counts only successful ones. */
	if (tcp_retransmit_skb_has_err_arg() && (int)ctx[2] != 0) {
		count_atomic(TCP_CNT_RETRANS_FAILED);
		return 0;
	}
	info = owner_of(sk);
	if (info && is_self(info->pid))
		return 0;

	segs = skb_segs(skb);
	count_atomic(TCP_CNT_EVENTS);
	count_atomic(TCP_CNT_RETRANSMITS);
	counter_add_atomic(&counters, TCP_CNT_RETRANS_SEGS, segs);
	ns = netns_stats(sk);
	if (ns) {
		__sync_fetch_and_add(&ns->retransmits, 1);
		__sync_fetch_and_add(&ns->retrans_segs, segs);
	}

	fill_key(&key, sk);
	v = bpf_map_lookup_elem(&conns, &key);
	if (!v) {
		if (info) {
			init.pid = info->pid;
			__builtin_memcpy(init.comm, info->comm, sizeof(init.comm));
		}
		bpf_map_update_elem(&conns, &key, &init, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&conns, &key);
		if (!v) {
			count_atomic(TCP_CNT_CONN_UPDATE_FAIL);
			return 0;
		}
	}
	__sync_fetch_and_add(&v->retransmits, 1);
	__sync_fetch_and_add(&v->retrans_segs, segs);
	v->last_ns = bpf_ktime_get_ns();
	v->srtt_us = BPF_CORE_READ((struct tcp_sock *)sk, srtt_us) >> 3;
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(inet_sock_set_state, const struct sock *sk, int oldstate, int newstate)
{
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_TCP)
		return 0;

	if (newstate == TCP_SYN_SENT) {
		/* connect(): the only transition that reliably runs in the owning process. */
		struct task_struct *task = bpf_get_current_task_btf();
		struct sk_info *info;

		info = bpf_sk_storage_get(&sk_info, (struct sock *)sk, 0,
					  BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!info)
			count_atomic(TCP_CNT_SK_STORAGE_FAIL);
		else if (!info->pid) {
			info->pid = task->tgid;
			read_leader_comm(info->comm, task);
		}
		if (is_self(task->tgid))
			return 0;
		count_atomic(TCP_CNT_ACTIVE_OPENS);
	} else if (owned_by_self(sk)) {
		return 0;
	}

	count_atomic(TCP_CNT_EVENTS);
	count_atomic(TCP_CNT_STATE_CHANGES);
	if (newstate == TCP_ESTABLISHED)
		count_atomic(TCP_CNT_ESTABLISHED);
	else if (newstate == TCP_CLOSE)
		count_atomic(TCP_CNT_CLOSED);
	return 0;
}

/* sk is NULL when the reset answers a segment that matched no socket. */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tcp_send_reset, const struct sock *sk)
{
	struct tcp_netns_value *ns;

	if (owned_by_self(sk))
		return 0;
	count_atomic(TCP_CNT_EVENTS);
	count_atomic(TCP_CNT_RESETS_SENT);
	ns = netns_stats(sk);
	if (ns)
		__sync_fetch_and_add(&ns->resets_sent, 1);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(tcp_receive_reset, struct sock *sk)
{
	struct tcp_netns_value *ns;

	if (owned_by_self(sk))
		return 0;
	count_atomic(TCP_CNT_EVENTS);
	count_atomic(TCP_CNT_RESETS_RECEIVED);
	ns = netns_stats(sk);
	if (ns)
		__sync_fetch_and_add(&ns->resets_received, 1);
	return 0;
}

/*
 * Fires for every segment received on an established socket; the per-socket timestamp keeps the
 * cost to a storage lookup and a clock read for all but one segment per interval.
 */
SEC("tp_btf/tcp_probe")
int BPF_PROG(tcp_probe, struct sock *sk)
{
	struct sk_info *info;
	struct hist *h;
	__u32 zero = 0, srtt_us;
	__u64 now;

	info = bpf_sk_storage_get(&sk_info, sk, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!info) {
		count_atomic(TCP_CNT_SK_STORAGE_FAIL);
		return 0;
	}
	if (is_self(info->pid))
		return 0;
	now = bpf_ktime_get_ns();
	if (now - info->last_rtt_ns < rtt_sample_interval_ns)
		return 0;
	info->last_rtt_ns = now;

	srtt_us = BPF_CORE_READ((struct tcp_sock *)sk, srtt_us) >> 3;
	if (!srtt_us) /* no RTT measured yet */
		return 0;
	h = bpf_map_lookup_elem(&rtt, &zero);
	if (!h)
		return 0;
	hist_record(h, (__u64)srtt_us * 1000);
	if ((__u64)srtt_us * 1000 >= rtt_slow_ns) {
		struct tcp_netns_value *ns = netns_stats(sk);

		if (ns)
			__sync_fetch_and_add(&ns->rtt_slow, 1);
	}
	count_atomic(TCP_CNT_EVENTS);
	count_atomic(TCP_CNT_RTT_SAMPLES);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
