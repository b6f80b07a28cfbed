// Kernel-comparable clocks. bpf_ktime_get_ns() is CLOCK_MONOTONIC, which is what process.hrtime reads on
// Linux, so BPF timestamps and these values share an origin.
export function monotonicNs(): number {
  return Number(process.hrtime.bigint());
}
