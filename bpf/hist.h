/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Log-linear latency histogram shared by every kerno BPF program and decoded by src/bpf (TypeScript).
 * The kernel side only increments; percentiles are computed in user space.
 *
 * Buckets: 8 linear sub-buckets per power of two above 64, so a reported percentile is within 12.5% of
 * the truth (half that with mid-bucket interpolation), instead of the ±50% of plain log2 buckets.
 *
 *   slot 0                  v < 64                      (v in [0, 64))
 *   slot s in 1..271        e   = 6 + (s - 1) / 8       (floor(log2(v)))
 *                           sub = (s - 1) % 8
 *                           v in [2^e + sub * 2^(e-3), 2^e + (sub + 1) * 2^(e-3))
 *   slot 271 is also the overflow bucket: it holds every v >= 2^39 + 6 * 2^36 (~962 s for nanoseconds).
 *
 * Layout of struct hist (little-endian, 2200 bytes, 8-byte aligned):
 *   off 0     __u64 count             samples recorded
 *   off 8     __u64 sum_ns            sum of the samples (wraps after ~584 years of ns)
 *   off 16    __u64 max_ns            largest sample
 *   off 24    __u64 slots[272]        per-slot sample counts
 * Per-CPU maps hold one struct hist per CPU: sum count/sum/slots across CPUs, take the max of max_ns.
 */
#ifndef __KERNO_HIST_H
#define __KERNO_HIST_H

#define HIST_SLOTS	 272
#define HIST_MIN_EXP	 6 /* values below 2^6 ns share slot 0 */
#define HIST_SUB_BITS	 3
#define HIST_SUBS	 (1 << HIST_SUB_BITS) /* sub-buckets per power of two */

struct hist {
	__u64 count;
	__u64 sum_ns;
	__u64 max_ns;
	__u64 slots[HIST_SLOTS];
};

#endif /* __KERNO_HIST_H */
