/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcp.bpf.c ↔ user space: retransmits per connection, resets, state changes and a smoothed-RTT histogram.
 * All integers little-endian unless noted; sizes and offsets in bytes.
 *
 * Maps
 *   conns     LRU_HASH (shared, atomic adds), max TCP_MAX_CONNS
 *             key struct tcp_conn_key → value struct tcp_conn_value. Only connections that retransmitted.
 *   netns     HASH (shared, atomic adds), max TCP_MAX_NETNS
 *             key __u32 network-namespace inode (what /proc/<pid>/ns/net names; 0 = unknown, e.g. a reset
 *             answering a segment that matched no socket) → value struct tcp_netns_value. Every network
 *             namespace the tracepoints saw; a namespace that could not be inserted (map full) is counted
 *             in TCP_CNT_NETNS_UPDATE_FAIL and its events stay in the global counters only.
 *   rtt       PERCPU_ARRAY, 1 entry: key __u32 0 → struct hist (hist.h) of smoothed RTT in ns, sampled at
 *             most once per socket per rtt_sample_interval_ns on incoming segments.
 *   counters  PERCPU_ARRAY __u32 → __u64, TCP_NR_COUNTERS entries (indexes below)
 *   sk_info:  internal SK_STORAGE (socket owner, last RTT sample time), not readable from user space.
 *
 * Programs (attach type tp_btf), one per tracepoint, all required:
 *   tcp_retransmit_skb, inet_sock_set_state, tcp_send_reset, tcp_receive_reset, tcp_probe
 *
 * Rodata: self_tgid (__u32), rtt_sample_interval_ns (__u64, default 100 ms), rtt_slow_ns (__u64, default
 * 100 ms: the per-namespace count of slow RTT samples).
 *
 * Attribution: a socket's owner (pid, comm) is recorded when it enters SYN_SENT, in the connect()ing
 * process. Retransmits mostly run from timers in softirq context where `current` is unrelated, so
 * sockets kerno did not see connecting (accepted sockets, connections older than the attach) have pid 0
 * and an empty comm. Sockets owned by self_tgid are ignored everywhere once their owner is known.
 */
#ifndef __KERNO_TCP_H
#define __KERNO_TCP_H

#define TCP_MAX_CONNS 8192

#define TCP_AF_INET  2
#define TCP_AF_INET6 10

#define TCP_MAX_NETNS 4096

/*
 * conns key: 44 bytes, no implicit padding (zero the whole key before filling it).
 * IPv4: the address occupies bytes 0..3 of saddr/daddr in network order, bytes 4..15 are zero.
 * IPv6: all 16 bytes in network order (v4-mapped ::ffff:a.b.c.d for dual-stack sockets talking IPv4).
 */
struct tcp_conn_key {
	__u16 family;	 /* off 0: TCP_AF_INET or TCP_AF_INET6 */
	__u16 pad;	 /* off 2: zero */
	__u16 sport;	 /* off 4: local port, host order */
	__u16 dport;	 /* off 6: remote port, host order */
	__u8 saddr[16];	 /* off 8: local address */
	__u8 daddr[16];	 /* off 24: remote address */
	__u32 netns;	 /* off 40: network-namespace inode of the socket */
};

/* conns value: 48 bytes */
struct tcp_conn_value {
	__u64 retransmits;  /* off 0: successful retransmit events */
	__u64 retrans_segs; /* off 8: segments in them (TSO/GSO skbs carry several; RetransSegs semantics) */
	__u64 last_ns;	    /* off 16: bpf_ktime_get_ns() (CLOCK_MONOTONIC) of the latest retransmit */
	__u32 srtt_us;	    /* off 24: smoothed RTT (tcp_sock srtt_us >> 3) at the latest retransmit, µs */
	__u32 pid;	    /* off 28: owner tgid, 0 = unknown (see Attribution) */
	char comm[16];	    /* off 32: owner's thread-group leader comm, empty if unknown */
};

/* netns value: 40 bytes */
struct tcp_netns_value {
	__u64 retransmits;     /* off 0: successful retransmit events */
	__u64 retrans_segs;    /* off 8: segments in them */
	__u64 resets_sent;     /* off 16 */
	__u64 resets_received; /* off 24 */
	__u64 rtt_slow;	       /* off 32: RTT samples at or above rtt_slow_ns */
};

/* counters indexes: 0 events, 1-2 drops, 3.. statistics */
#define TCP_CNT_EVENTS		 0  /* events recorded: retransmits, state changes, resets, RTT samples */
#define TCP_CNT_CONN_UPDATE_FAIL 1  /* drop: retransmit not stored in `conns` (still in RETRANSMITS) */
#define TCP_CNT_SK_STORAGE_FAIL	 2  /* drop: no socket storage (owner or RTT sample lost) */
#define TCP_CNT_RETRANSMITS	 3  /* successful retransmit events */
#define TCP_CNT_RETRANS_SEGS	 4  /* segments in them */
#define TCP_CNT_RETRANS_FAILED	 5  /* attempts that failed (err != 0; reported by kernels >= 6.17 only) */
#define TCP_CNT_RESETS_SENT	 6  /* tcp_send_reset */
#define TCP_CNT_RESETS_RECEIVED	 7  /* tcp_receive_reset */
#define TCP_CNT_STATE_CHANGES	 8  /* TCP inet_sock_set_state transitions */
#define TCP_CNT_ESTABLISHED	 9  /* transitions into ESTABLISHED (active and passive) */
#define TCP_CNT_ACTIVE_OPENS	 10 /* transitions into SYN_SENT (connect) */
#define TCP_CNT_CLOSED		 11 /* transitions into CLOSE */
#define TCP_CNT_RTT_SAMPLES	 12 /* samples recorded into `rtt` */
#define TCP_CNT_NETNS_UPDATE_FAIL 13 /* drop of detail: namespace not stored in `netns` (still in the totals) */
#define TCP_NR_COUNTERS		 14

#endif /* __KERNO_TCP_H */
