#!/usr/bin/env bash
# Syscall overhead: ns added per getppid() by kerno's BPF programs vs the bpftrace one-liner that builds the
# same histogram. Interleaved (bare, kerno, bpftrace, …) in one run on a pinned CPU, median of ROUNDS each,
# so the shared, noisy machine affects all three alike. Target (issue #2): kerno adds ≤ 0.5× bpftrace.
#   bench/syscall-overhead/run.sh [ROUNDS] [N] [objects...]   (default 7 rounds, 10M calls, "syscall")
# With objects "all" every collector's programs are attached (issue #3 target: ratio ≤ 1.0).
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
cd "$root"
# shellcheck source=../lib.sh
source bench/lib.sh
rounds=${1:-7}
n=${2:-10000000}
shift 2 2>/dev/null || shift $#
objs=("$@")
((${#objs[@]})) || objs=(syscall)
[[ ${objs[0]} == all ]] && objs=($(ls build/bpf/*.bpf.o | xargs -n1 basename | sed 's/\.bpf\.o$//'))
[[ $(id -u) -eq 0 ]] || { echo "run as root" >&2; exit 1; }
command -v bpftrace >/dev/null || { echo "bpftrace missing: scripts/setup.sh --test installs it" >&2; exit 1; }
# bpftrace's classic tracepoints need tracefs (kerno's tp_btf programs do not); the mount may stay.
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
mkdir -p bench/out
cc -O2 -o bench/out/getppid-loop bench/syscall-overhead/getppid-loop.c
cpu=$(( $(nproc) - 1 ))
loop() { taskset -c "$cpu" bench/out/getppid-loop "$n"; }

holder_pid=""
cleanup() { if [[ -n $holder_pid ]]; then kill "$holder_pid" 2>/dev/null || true; fi; wait 2>/dev/null || true; }
trap cleanup EXIT

# start_holder CMD... : runs CMD in the background and waits until it prints READY_RE on stdout/stderr.
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

bare=() kerno=() bpft=()
script='tracepoint:raw_syscalls:sys_enter { @s[tid]=nsecs } tracepoint:raw_syscalls:sys_exit /@s[tid]/ { @h=hist(nsecs-@s[tid]); delete(@s[tid]) }'
for ((r = 1; r <= rounds; r++)); do
  bare+=("$(loop)")
  start_holder '^ready' node --import tsx bench/syscall-overhead/attach.ts "${objs[@]}"
  kerno+=("$(loop)"); stop_holder
  start_holder 'Attaching' bpftrace -e "$script"
  bpft+=("$(loop)"); stop_holder
  echo "round $r: bare ${bare[-1]} ns, kerno ${kerno[-1]} ns, bpftrace ${bpft[-1]} ns" >&2
done
mb=$(median "${bare[@]}"); mk=$(median "${kerno[@]}"); mt=$(median "${bpft[@]}")
awk -v b="$mb" -v k="$mk" -v t="$mt" -v o="${objs[*]}" -v r="$rounds" -v n="$n" 'BEGIN {
  printf "syscall-overhead: %d rounds × %d getppid, medians (ns/call): bare %.1f, kerno[%s] %.1f, bpftrace %.1f\n", r, n, b, o, k, t
  printf "added ns/syscall: kerno %.1f, bpftrace %.1f, ratio kerno/bpftrace %.2f\n", k-b, t-b, (k-b)/(t-b)
}'
