/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dns.bpf.c ↔ user space: DNS queries and responses over UDP and TCP port 53, IPv4 and IPv6, seen by
 * cgroup_skb programs on the cgroup v2 root (every socket of every network namespace: cgroup membership does
 * not depend on the namespace). All integers little-endian unless noted; sizes and offsets in bytes.
 *
 * Maps
 *   flights   HASH (shared), max DNS_MAX_FLIGHTS
 *             key struct dns_flight_key → value struct dns_flight_value: queries sent and not yet answered.
 *             The ingress program deletes an entry when its response arrives; user space deletes entries
 *             older than its timeout and counts them as timeouts. A plain hash (not LRU) so that a query is
 *             never silently evicted: an insert into a full map is counted in DNS_CNT_FLIGHT_FULL.
 *   stats     HASH (shared, atomic adds), max DNS_MAX_STATS
 *             key struct dns_stats_key → value struct dns_stats_value: per (resolver, process, namespace).
 *             An insert into a full map is counted in DNS_CNT_STATS_FULL (the query or response is then in
 *             the global counters only).
 *   counters  PERCPU_ARRAY __u32 → __u64, DNS_NR_COUNTERS entries (indexes below)
 *
 * Programs: dns_egress (cgroup_skb/egress), dns_ingress (cgroup_skb/ingress), both attached to the cgroup v2
 * root with BPF links (multi-attach: they never replace another program), both always return 1 (pass).
 *
 * Rodata: self_tgid (__u32).
 *
 * Attribution: the sending process is `current` at egress, which is the process calling sendmsg() for UDP
 * and for TCP's first transmission of a segment; a segment sent from softirq (a TCP retransmit, data
 * released by an ACK) runs under an unrelated task, detected by comparing the task's cgroup with the
 * socket's (bpf_skb_cgroup_id): on a mismatch pid, comm and netns are 0 (unknown), never another process.
 */
#ifndef __KERNO_DNS_H
#define __KERNO_DNS_H

#define DNS_MAX_FLIGHTS 16384
#define DNS_MAX_STATS	1024

#define DNS_AF_INET  2
#define DNS_AF_INET6 10

/*
 * flights key: 32 bytes, no implicit padding (zero the whole key before filling it). The socket cookie makes
 * the key unique across network namespaces (two pods may use the same addresses and ports) and lets the
 * response find its query from the receiving socket without the client's address. The DNS query id and the
 * resolver's address and port tell concurrent queries of one socket apart (glibc sends A and AAAA at once).
 */
struct dns_flight_key {
	__u64 cookie;	   /* off 0: socket cookie (bpf_get_socket_cookie) */
	__u8 resolver[16]; /* off 8: resolver address, network order; IPv4 in bytes 0..3 */
	__u16 family;	   /* off 24: DNS_AF_INET or DNS_AF_INET6 */
	__u16 port;	   /* off 26: resolver port, host order */
	__u16 id;	   /* off 28: DNS query id, host order */
	__u16 pad;	   /* off 30: zero */
};

/* flights value: 48 bytes */
struct dns_flight_value {
	__u64 start_ns;	 /* off 0: bpf_ktime_get_ns() (CLOCK_MONOTONIC) when the query left */
	__u32 pid;	 /* off 8: sender tgid, 0 = unknown (see Attribution) */
	__u32 netns;	 /* off 12: sender's network-namespace inode, 0 = unknown */
	__u64 cgroup_id; /* off 16: the socket's cgroup v2 id */
	__u8 tcp;	 /* off 24: 1 when sent over TCP */
	__u8 pad[7];	 /* off 25 */
	char comm[16];	 /* off 32: sender's thread-group leader comm, empty if unknown */
};

/* stats key: 28 bytes, no implicit padding */
struct dns_stats_key {
	__u8 resolver[16]; /* off 0: resolver address, network order; IPv4 in bytes 0..3 */
	__u16 family;	   /* off 16 */
	__u16 port;	   /* off 18: resolver port, host order */
	__u32 pid;	   /* off 20: sender tgid, 0 = unknown */
	__u32 netns;	   /* off 24: sender's network-namespace inode, 0 = unknown */
};

/*
 * stats value: 2304 bytes. Every counter only grows; user space subtracts a baseline per window. `latency`
 * holds every answered query's latency (first transmission → response) in ns, whatever its RCODE.
 */
struct dns_stats_value {
	__u64 queries;	   /* off 0: queries sent (a retransmission of an in-flight query is not a new one) */
	__u64 responses;   /* off 8: responses matched to a query */
	__u64 noerror;	   /* off 16: RCODE 0 */
	__u64 nxdomain;	   /* off 24: RCODE 3 */
	__u64 servfail;	   /* off 32: RCODE 2 */
	__u64 refused;	   /* off 40: RCODE 5 */
	__u64 other_rcode; /* off 48: any other RCODE (FORMERR, NOTIMP, …) */
	__u64 retransmits; /* off 56: a query sent again while the first was in flight (same socket, id) */
	__u64 tcp_queries; /* off 64: queries over TCP (also in `queries`) */
	__u64 cgroup_id;   /* off 72: cgroup v2 id of the socket of the first query */
	char comm[16];	   /* off 80: sender's thread-group leader comm at the first query */
	struct hist latency; /* off 96: struct hist (hist.h), 2200 bytes */
	__u64 pad;	     /* off 2296: keeps the value a multiple of 16 bytes */
};

/* counters indexes: 0 events, 1-2 drops, 3.. statistics */
#define DNS_CNT_EVENTS	       0  /* queries and responses recorded */
#define DNS_CNT_FLIGHT_FULL    1  /* drop: query not tracked, `flights` full (its response cannot be timed) */
#define DNS_CNT_STATS_FULL     2  /* drop of detail: `stats` full (still in the global counters) */
#define DNS_CNT_QUERIES	       3  /* queries sent */
#define DNS_CNT_RESPONSES      4  /* responses matched to a query */
#define DNS_CNT_UNMATCHED      5  /* responses with no query in flight (sent before attach, late, kerno's own) */
#define DNS_CNT_RETRANSMITS    6  /* queries sent again while in flight */
#define DNS_CNT_TCP_UNPARSED   7  /* TCP/53 segments with payload not starting with a DNS message */
#define DNS_CNT_NXDOMAIN       8
#define DNS_CNT_SERVFAIL       9
#define DNS_CNT_REFUSED	       10
#define DNS_CNT_UNATTRIBUTED   11 /* queries sent from a context other than the sender's (pid unknown) */
#define DNS_NR_COUNTERS	       12

#endif /* __KERNO_DNS_H */
