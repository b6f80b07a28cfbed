/* SPDX-License-Identifier: GPL-2.0 */
/*
 * watch_tcp.bpf.c ↔ user space (`kerno watch tcp`): per-connection aggregates, kept in the kernel.
 * All integers little-endian unless noted; sizes and offsets in bytes.
 *
 * Maps
 *   conns     HASH, BPF_F_NO_PREALLOC, max WATCH_TCP_MAX_CONNS
 *             key struct watch_tcp_key → value struct watch_tcp_value (shared, atomic adds, cumulative).
 *             Every connection that received a segment or retransmitted while attached.
 *             Windows: user space reads every entry each tick and takes the difference from its previous
 *             reading; it deletes only entries that did not change during the window (an idle connection),
 *             so an event racing the delete can only be lost on a connection that had been idle for a
 *             whole window. (Deleting every entry after reading it would lose the events a preempted
 *             program adds between the read and the delete.)
 *   zero_value PERCPU_ARRAY, 1 entry: a zeroed struct watch_tcp_value to insert from (never written).
 *   counters  PERCPU_ARRAY __u32 → __u64, WATCH_TCP_NR_COUNTERS entries (indexes below)
 *   sk_info:  internal SK_STORAGE (socket owner), not readable from user space.
 *
 * Programs (attach type tp_btf), all required but sock_send_length (6.3+):
 *   tcp_probe            one RTT sample (smoothed RTT, tcp_sock srtt_us >> 3) per incoming segment
 *   tcp_retransmit_skb   successful retransmits (failed attempts, reported since v6.17, are not events)
 *   inet_sock_set_state  owner at connect() (SYN_SENT runs in the connecting process); on the other
 *                        transitions, a closing connection's last retransmitted segments
 *   sock_send_length     owner of any other socket (accepted ones): sendmsg runs in the owning process
 *   The first three read the socket's own count of retransmitted segments (tcp_sock.total_retrans).
 *
 * Rodata: self_tgid (__u32): kerno's own sockets are ignored once their owner is known.
 */
#ifndef __KERNO_WATCH_TCP_H
#define __KERNO_WATCH_TCP_H

#include "hist.h"

#define WATCH_TCP_MAX_CONNS 8192

#define WATCH_TCP_AF_INET  2
#define WATCH_TCP_AF_INET6 10

/*
 * conns key: 44 bytes, no implicit padding (zero the whole key before filling it).
 * IPv4: the address occupies bytes 0..3 of saddr/daddr in network order, bytes 4..15 are zero.
 * IPv6: all 16 bytes in network order (v4-mapped ::ffff:a.b.c.d for dual-stack sockets talking IPv4).
 */
struct watch_tcp_key {
	__u32 netns;	/* off 0: network-namespace inode of the socket (what /proc/<pid>/ns/net names) */
	__u16 family;	/* off 4: WATCH_TCP_AF_INET or WATCH_TCP_AF_INET6 */
	__u16 sport;	/* off 6: local port, host order */
	__u16 dport;	/* off 8: remote port, host order */
	__u16 pad;	/* off 10: zero */
	__u8 saddr[16]; /* off 12: local address */
	__u8 daddr[16]; /* off 28: remote address */
};

/* conns value: 2248 bytes */
struct watch_tcp_value {
	__u64 retransmits;  /* off 0: successful retransmit events */
	/*
	 * off 8: segments the socket retransmitted since the entry was made: its total_retrans less
	 * total_base, as of its latest event. What RetransSegs counts: failed attempts the device refused
	 * included, and retransmits whose tracepoint run reached no program (seen on 6.18) too.
	 */
	__u64 retrans_segs;
	__u64 events;	    /* off 16: events recorded (RTT samples + retransmits + closing updates) */
	__u32 pid;	    /* off 24: owner tgid, 0 = unknown */
	__u32 total_base;   /* off 28: the socket's total_retrans before the entry's first event */
	char comm[16];	    /* off 32: owner's thread-group leader comm, empty if unknown */
	struct hist rtt;    /* off 48: smoothed RTT in ns, one sample per incoming segment */
};

/* counters indexes */
#define WATCH_TCP_CNT_EVENTS	       0 /* events recorded */
#define WATCH_TCP_CNT_CONN_UPDATE_FAIL 1 /* drop: `conns` full */
#define WATCH_TCP_CNT_SK_STORAGE_FAIL  2 /* drop of detail: no socket storage (owner unknown) */
#define WATCH_TCP_NR_COUNTERS	       3

#endif /* __KERNO_WATCH_TCP_H */
