#!/usr/bin/env bash
# Doctor start-up: the fixed cost of `bin/kerno doctor --duration 1s --output json` (wall time minus the 1 s
# window), beside bpftrace's for a 1 s count one-liner (wall time minus its 1 s interval). Interleaved rounds,
# medians. Then the floors (node alone; `--version`: node + launcher; `doctor --help`: node + launcher +
# doctor's imports from the bundle) and the phase breakdown (dist/bench/doctor-startup/profile.js).
# Targets (issue #5): kerno's fixed overhead < 1 s and no more than bpftrace's.
#   bench/doctor-startup/run.sh [ROUNDS] [--contend] [--pool N]     (default 7)
# --contend: a neighbour holds a CPU for the whole run (a kerno-bench-busy loop pinned to the last CPU, started
# here and killed by its PID on exit), as when other work shares the host.
# --pool N: a third series, doctor with UV_THREADPOOL_SIZE=N (libuv's pool, which the BPF loads share with
# every async fs call; 4 threads by default), interleaved with the other two.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
cd "$root"
# shellcheck source=../lib.sh
source bench/lib.sh
rounds=7 contend=0 pool=
while (($#)); do
  case $1 in
    --contend) contend=1 ;;
    --pool) pool=${2:-}; shift; [[ $pool =~ ^[1-9][0-9]*$ ]] || { echo "--pool needs a thread count" >&2; exit 2; } ;;
    *[!0-9]* | '') { echo "usage: run.sh [ROUNDS] [--contend] [--pool N]" >&2; exit 2; } ;;
    *) rounds=$1 ;;
  esac
  shift
done
[[ $(id -u) -eq 0 ]] || { echo "run as root" >&2; exit 1; }
command -v bpftrace >/dev/null || { echo "bpftrace missing: scripts/setup.sh --test installs it" >&2; exit 1; }
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
scripts/setup.sh >/dev/null 2>&1 || { echo "scripts/setup.sh failed" >&2; exit 1; }


busy=
stop_busy() { [[ -n $busy ]] && kill "$busy" 2>/dev/null && wait "$busy" 2>/dev/null; busy=; }
trap stop_busy EXIT
if ((contend)); then
  cpu=$(($(nproc) - 1))
  taskset -c "$cpu" node -e 'process.title = "kerno-bench-busy"; for (;;);' &
  busy=$!
  echo "contention: kerno-bench-busy (pid $busy) holds CPU $cpu"
fi

kerno=() kpool=() bpft=() node0=() version=() dhelp=()
bt='tracepoint:raw_syscalls:sys_enter { @c = count(); } interval:s:1 { exit(); }'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
for ((r = 1; r <= rounds; r++)); do
  fresh
  kerno+=($(($(wall bin/kerno doctor --duration 1s --output json) - 1000)))
  bpft+=($(($(wall bpftrace -e "$bt") - 1000)))
  [[ -z $pool ]] || kpool+=($(($(wall env UV_THREADPOOL_SIZE="$pool" bin/kerno doctor --duration 1s --output json) - 1000)))
  node0+=("$(wall node -e '')")
  version+=("$(wall bin/kerno --version)")
  dhelp+=("$(wall bin/kerno doctor --help)")
  echo "round $r: kerno ${kerno[-1]} ms,${pool:+ with a pool of $pool ${kpool[-1]} ms,} bpftrace ${bpft[-1]} ms (node -e '' ${node0[-1]} ms, kerno --version ${version[-1]} ms, kerno doctor --help ${dhelp[-1]} ms)" >&2
done
mk=$(median "${kerno[@]}")
mb=$(median "${bpft[@]}")
echo "doctor-startup: $rounds rounds, medians of wall time minus the 1 s window:"
echo "  kerno doctor --duration 1s --output json   ${mk} ms"
echo "  bpftrace count one-liner (interval:s:1)    ${mb} ms"
[[ -z $pool ]] || echo "  the same with UV_THREADPOOL_SIZE=$pool       $(median "${kpool[@]}") ms"
echo "  floors: node -e '' $(median "${node0[@]}") ms, bin/kerno --version $(median "${version[@]}") ms (node + launcher)," \
  "bin/kerno doctor --help $(median "${dhelp[@]}") ms (+ doctor's imports)"
awk -v k="$mk" -v b="$mb" 'BEGIN { printf "  kerno/bpftrace %.2f; target: kerno < 1000 ms (%s) and ≤ bpftrace (%s)\n", k/b, (k<1000?"met":"MISSED"), (k<=b?"met":"MISSED") }'
echo
node dist/bench/doctor-startup/profile.js --window-ms 1000
