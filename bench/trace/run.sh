#!/usr/bin/env bash
# Cost of a filtered trace: ns added per getppid() by `kerno trace syscall --min-latency 10ms` (a predicate
# nothing in the loop matches) vs the bpftrace one-liner with the same predicate. Both pay the enter and
# exit hooks for every syscall on the host; the question is what the filter costs when it says no. kerno's
# is compiled into the program (rodata constants), bpftrace's is a map lookup and compare.
# Interleaved (bare, kerno, bpftrace, …) rounds in one run, loop pinned to the last CPU at nice -20, medians.
#   bench/trace/run.sh [ROUNDS] [N]      (default 7 rounds × 3M calls)
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
cd "$root"
# shellcheck source=../lib.sh
source bench/lib.sh
rounds=${1:-7}
n=${2:-3000000}
[[ $(id -u) -eq 0 ]] || { echo "run as root" >&2; exit 1; }
command -v bpftrace >/dev/null || { echo "bpftrace missing: scripts/setup.sh --test installs it" >&2; exit 1; }
# bpftrace's classic tracepoints need tracefs (kerno's tp_btf programs do not); the mount may stay.
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
mkdir -p bench/out
cc -O2 -o bench/out/getppid-loop bench/syscall-overhead/getppid-loop.c
cpu=$(( $(nproc) - 1 ))
loop() { nice -n -20 taskset -c "$cpu" bench/out/getppid-loop "$n"; }

holder_pid=""
cleanup() { if [[ -n $holder_pid ]]; then kill "$holder_pid" 2>/dev/null || true; fi; wait 2>/dev/null || true; }
trap cleanup EXIT

# start_holder RE CMD... : runs CMD in the background and waits until it prints a line matching RE.
start_holder() {
  local re=$1; shift
  local fifo; fifo=$(mktemp -u); mkfifo "$fifo"
  "$@" >"$fifo" 2>&1 &
  holder_pid=$!
  exec 3<"$fifo"; rm -f "$fifo"
  local line
  while IFS= read -r -t 60 line <&3; do [[ $line =~ $re ]] && return 0; done
  echo "holder did not become ready: $*" >&2; return 1
}
stop_holder() { kill "$holder_pid" 2>/dev/null || true; wait "$holder_pid" 2>/dev/null || true; holder_pid=""; exec 3<&-; }

# kerno's events (slow syscalls elsewhere on the host) go to /dev/null; its stderr says when it is attached.
kerno_trace() { exec node --import tsx bin/kerno.ts trace syscall --min-latency 10ms -o json 2>&1 >/dev/null; }
script='tracepoint:raw_syscalls:sys_enter { @s[tid] = nsecs } tracepoint:raw_syscalls:sys_exit /@s[tid] && (nsecs - @s[tid]) > 10000000/ { printf("%d %s %d\n", pid, comm, nsecs - @s[tid]) }'

bare=() kerno=() bpft=()
for ((r = 1; r <= rounds; r++)); do
  bare+=("$(loop)")
  start_holder 'tracing syscall' kerno_trace
  kerno+=("$(loop)"); stop_holder
  # stdbuf: bpftrace's "Attaching" line sits in a block buffer when stdout is not a terminal.
  start_holder 'Attaching' stdbuf -oL bpftrace -e "$script"
  bpft+=("$(loop)"); stop_holder
  echo "round $r: bare ${bare[-1]} ns, kerno ${kerno[-1]} ns, bpftrace ${bpft[-1]} ns" >&2
done
mb=$(median "${bare[@]}"); mk=$(median "${kerno[@]}"); mt=$(median "${bpft[@]}")
awk -v b="$mb" -v k="$mk" -v t="$mt" -v r="$rounds" -v n="$n" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
  printf "trace: %d rounds × %d getppid, medians (ns/call): bare %.1f, kerno trace syscall --min-latency 10ms %.1f, bpftrace %.1f (load %s)\n", r, n, b, k, t, load
  printf "added ns/syscall: kerno %.1f, bpftrace %.1f, ratio kerno/bpftrace %.2f\n", k-b, t-b, (k-b)/(t-b)
}'
