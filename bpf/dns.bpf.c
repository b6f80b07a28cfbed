// SPDX-License-Identifier: GPL-2.0
/*
 * DNS latency and outcomes per (resolver, process): cgroup_skb programs on the cgroup v2 root parse the
 * IP/UDP/TCP and DNS headers of every packet to or from port 53. A query (egress, QR=0) starts a flight
 * keyed by (socket cookie, resolver, query id); its response (ingress, QR=1, same socket) ends it, records
 * the latency into the sender's histogram and counts the RCODE. Map layouts and attribution: dns.h.
 *
 * Why cgroup_skb: kprobes and fentry are unavailable on the kernels kerno targets, and a tracepoint on
 * sendmsg sees only the syscall (IPv4 UDP in the original tool). A cgroup_skb program sees every IP packet
 * of every socket in every network namespace, IPv4 and IPv6, UDP and TCP, after the stack built it.
 *
 * Limits, on purpose:
 * - IPv6 extension headers are not walked: a DNS packet carrying one (rare; hop-by-hop options) is skipped.
 * - IP fragments are skipped (only the first fragment could carry the headers; DNS over UDP avoids them).
 * - TCP is best effort: a query or response is recognised only when its DNS message starts the segment
 *   (2-byte length prefix, then the header). One query per connection, the usual client pattern, always
 *   does; pipelined messages after the first in a segment are not counted (DNS_CNT_TCP_UNPARSED counts
 *   payload that did not parse).
 * - No query-name hash in the key: the socket cookie plus the 16-bit id plus the resolver already identify a
 *   query; a name hash would cost a bounded loop over the question for no extra certainty.
 *
 * Contexts: egress runs in the sending process (or softirq for some TCP segments), ingress in softirq.
 * Counters and histograms are therefore updated atomically.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "common.bpf.h"
#include "hist.bpf.h"
#include "dns.h"

#define ETH_P_IP_BE   0x0008 /* htons(0x0800) */
#define ETH_P_IPV6_BE 0xDD86 /* htons(0x86DD) */
#define PROTO_TCP     6
#define PROTO_UDP     17
#define DNS_PORT      53
#define DNS_HDR_LEN   12

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DNS_MAX_FLIGHTS);
	__type(key, struct dns_flight_key);
	__type(value, struct dns_flight_value);
} flights SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DNS_MAX_STATS);
	__type(key, struct dns_stats_key);
	__type(value, struct dns_stats_value);
} stats SEC(".maps");

/*
 * Template for new `stats` entries: 2.3 KB does not fit the 512-byte BPF stack. Its counters and histogram
 * are never written, so they stay zero; only cgroup_id and comm are set before each insert. An ingress
 * program in softirq that interrupts an egress one on the same CPU between those writes and the insert can
 * leave the new entry with the other sender's comm: bounded to the name (user space renames a row from
 * /proc/<pid>/comm), never to its counts.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_stats_value);
} stats_init SEC(".maps");

DEFINE_COUNTERS(DNS_NR_COUNTERS);

/* What one packet to or from port 53 says. */
struct dns_pkt {
	__u8 peer[16]; /* the resolver: destination at egress, source at ingress */
	__u16 family;
	__u16 port;
	__u16 id;
	__u16 flags;
	__u8 tcp;
};

/*
 * Parses IP, then UDP or TCP, then the DNS header. `egress` picks which side is the resolver (port 53).
 * Returns 0 when the packet is a DNS message to (egress) or from (ingress) port 53.
 */
static __always_inline int parse(struct __sk_buff *skb, bool egress, struct dns_pkt *p)
{
	__u32 l4, proto, ports;
	__u16 sport, dport, hdr[2];
	__u8 b[2];

	if (skb->protocol == ETH_P_IP_BE) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)))
			return -1;
		if (ip.frag_off & bpf_htons(0x1FFF)) /* a later fragment: no L4 header */
			return -1;
		proto = ip.protocol;
		l4 = ip.ihl * 4;
		p->family = DNS_AF_INET;
		__builtin_memcpy(p->peer, egress ? (void *)&ip.daddr : (void *)&ip.saddr, 4);
	} else if (skb->protocol == ETH_P_IPV6_BE) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)))
			return -1;
		proto = ip6.nexthdr;
		l4 = sizeof(ip6);
		p->family = DNS_AF_INET6;
		__builtin_memcpy(p->peer, egress ? (void *)&ip6.daddr : (void *)&ip6.saddr, 16);
	} else {
		return -1;
	}
	if (proto != PROTO_UDP && proto != PROTO_TCP)
		return -1;
	if (bpf_skb_load_bytes(skb, l4, &ports, 4))
		return -1;
	sport = bpf_ntohs(ports & 0xFFFF);
	dport = bpf_ntohs(ports >> 16);
	if ((egress ? dport : sport) != DNS_PORT)
		return -1;
	p->port = DNS_PORT;
	if (proto == PROTO_UDP) {
		l4 += 8;
	} else {
		/* data offset: high nibble of byte 12 of the TCP header */
		if (bpf_skb_load_bytes(skb, l4 + 12, b, 1))
			return -1;
		l4 += (b[0] >> 4) * 4;
		if (skb->len <= l4) /* no payload: handshake, ACK, FIN */
			return -1;
		/* 2-byte length prefix, then the header */
		if (skb->len < l4 + 2 + DNS_HDR_LEN) {
			count_atomic(DNS_CNT_TCP_UNPARSED);
			return -1;
		}
		l4 += 2;
		p->tcp = 1;
	}
	if (bpf_skb_load_bytes(skb, l4, hdr, 4))
		return -1;
	p->id = bpf_ntohs(hdr[0]);
	p->flags = bpf_ntohs(hdr[1]);
	/* QR: 0 for a query (egress), 1 for a response (ingress); anything else is not ours */
	if (((p->flags >> 15) & 1) != (egress ? 0 : 1)) {
		if (p->tcp)
			count_atomic(DNS_CNT_TCP_UNPARSED);
		return -1;
	}
	return 0;
}

static __always_inline void fill_flight_key(struct dns_flight_key *k, struct __sk_buff *skb,
					    const struct dns_pkt *p)
{
	k->cookie = bpf_get_socket_cookie(skb);
	__builtin_memcpy(k->resolver, p->peer, 16);
	k->family = p->family;
	k->port = p->port;
	k->id = p->id;
}

static __always_inline struct dns_stats_value *stats_of(const struct dns_flight_key *fk,
							 const struct dns_flight_value *f)
{
	struct dns_stats_key key = {};
	struct dns_stats_value *v, *init;
	__u32 zero = 0;

	__builtin_memcpy(key.resolver, fk->resolver, 16);
	key.family = fk->family;
	key.port = fk->port;
	key.pid = f->pid;
	key.netns = f->netns;
	v = bpf_map_lookup_elem(&stats, &key);
	if (v)
		return v;
	init = bpf_map_lookup_elem(&stats_init, &zero);
	if (!init)
		return NULL;
	init->cgroup_id = f->cgroup_id;
	__builtin_memcpy(init->comm, f->comm, sizeof(init->comm));
	bpf_map_update_elem(&stats, &key, init, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&stats, &key);
	if (!v)
		count_atomic(DNS_CNT_STATS_FULL);
	return v;
}

SEC("cgroup_skb/egress")
int dns_egress(struct __sk_buff *skb)
{
	struct dns_flight_key key = {};
	struct dns_flight_value f = {};
	struct dns_stats_value *s;
	struct dns_pkt p = {};
	struct task_struct *task;
	long err;

	if (parse(skb, true, &p))
		return 1;
	task = bpf_get_current_task_btf();
	f.cgroup_id = bpf_skb_cgroup_id(skb);
	/* Only trust `current` when it lives in the socket's cgroup (see Attribution in dns.h). */
	if (BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id) == f.cgroup_id) {
		f.pid = task->tgid;
		f.netns = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
		read_leader_comm(f.comm, task);
	} else {
		count_atomic(DNS_CNT_UNATTRIBUTED);
	}
	if (is_self(f.pid))
		return 1;
	f.start_ns = bpf_ktime_get_ns();
	f.tcp = p.tcp;
	fill_flight_key(&key, skb, &p);
	err = bpf_map_update_elem(&flights, &key, &f, BPF_NOEXIST);
	if (err == -17 /* EEXIST: the same query again, keep the first send's time */) {
		count_atomic(DNS_CNT_RETRANSMITS);
		s = stats_of(&key, &f);
		if (s)
			__sync_fetch_and_add(&s->retransmits, 1);
		return 1;
	}
	if (err)
		count_atomic(DNS_CNT_FLIGHT_FULL);
	count_atomic(DNS_CNT_EVENTS);
	count_atomic(DNS_CNT_QUERIES);
	s = stats_of(&key, &f);
	if (s) {
		__sync_fetch_and_add(&s->queries, 1);
		if (p.tcp)
			__sync_fetch_and_add(&s->tcp_queries, 1);
	}
	return 1;
}

SEC("cgroup_skb/ingress")
int dns_ingress(struct __sk_buff *skb)
{
	struct dns_flight_key key = {};
	struct dns_flight_value *f, copy;
	struct dns_stats_value *s;
	struct dns_pkt p = {};
	__u64 now;
	__u8 rcode;

	if (parse(skb, false, &p))
		return 1;
	fill_flight_key(&key, skb, &p);
	f = bpf_map_lookup_elem(&flights, &key);
	if (!f) {
		count_atomic(DNS_CNT_UNMATCHED);
		return 1;
	}
	now = bpf_ktime_get_ns();
	copy = *f;
	/* Whoever deletes the entry owns the response: a duplicate answer or user space's timeout sweep loses. */
	if (bpf_map_delete_elem(&flights, &key))
		return 1;
	count_atomic(DNS_CNT_EVENTS);
	count_atomic(DNS_CNT_RESPONSES);
	rcode = p.flags & 0xF;
	if (rcode == 3)
		count_atomic(DNS_CNT_NXDOMAIN);
	else if (rcode == 2)
		count_atomic(DNS_CNT_SERVFAIL);
	else if (rcode == 5)
		count_atomic(DNS_CNT_REFUSED);
	s = stats_of(&key, &copy);
	if (!s)
		return 1;
	__sync_fetch_and_add(&s->responses, 1);
	if (rcode == 0)
		__sync_fetch_and_add(&s->noerror, 1);
	else if (rcode == 3)
		__sync_fetch_and_add(&s->nxdomain, 1);
	else if (rcode == 2)
		__sync_fetch_and_add(&s->servfail, 1);
	else if (rcode == 5)
		__sync_fetch_and_add(&s->refused, 1);
	else
		__sync_fetch_and_add(&s->other_rcode, 1);
	hist_record_atomic(&s->latency, now > copy.start_ns ? now - copy.start_ns : 0);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
