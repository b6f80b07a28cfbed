#!/usr/bin/env bash
# Netconsole flood against a real `kerno start` (issue 15 item 4). Prints figures; never fails on a target.
# Target: RSS stays < 150 MB under the flood and returns towards its baseline; one record, one count per
# incident id. Runs on loopback:
#   A. 100,000 "Kernel panic" lines from 2,000 source ports, 100 distinct panics (the issue's repro)
#   B. 400 senders x 1 panic each out of 100 distinct panics
# Usage: bench/netconsole-flood/run.sh [LINES] [PORTS]
set -uo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
lines=${1:-100000}
ports=${2:-2000}
d=$(mktemp -d /tmp/kerno-bench-flood.XXXXXX)
pid=
cleanup() { [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$d"; }
trap cleanup EXIT

hget() { node -e 'fetch(process.argv[1]).then((r) => r.text()).then((t) => process.stdout.write(t), () => process.exit(1))' "$1"; }
rss() { awk '/^VmRSS/ {print int($2/1024)}' "/proc/$pid/status"; }
hwm() { awk '/^VmHWM/ {print int($2/1024)}' "/proc/$pid/status"; }
metric() { hget "$base/metrics" | awk -v n="$1" '$1 ~ "^"n"({|$)" {s += $2} END {print s + 0}'; }
metric_line() { hget "$base/metrics" | grep "^$1" | sed 's/^kerno_netconsole_//' | tr '\n' ' '; }

run_case() { # NAME LINES PORTS DISTINCT
  local name=$1
  rm -rf "$d/state"
  "$root/bin/kerno" --log-format json start --listen 127.0.0.1:0 --state-dir "$d/state" \
    --netconsole-listen udp://127.0.0.1:0 >/dev/null 2>"$d/log" &
  pid=$!
  for _ in $(seq 300); do
    grep -q 'netconsole receiver listening' "$d/log" && grep -q '"listen"' "$d/log" && break
    sleep 0.1
  done
  base="http://127.0.0.1:$(grep -o '"listen":"http://127.0.0.1:[0-9]*"' "$d/log" | head -1 | grep -o '[0-9]*"$' | tr -d '"')"
  local udp; udp=$(grep -o 'netconsole receiver listening.*"port":[0-9]*' "$d/log" | head -1 | grep -o '[0-9]*$')
  sleep 3
  local r0; r0=$(rss)
  local peak=0 sampler
  ( while kill -0 "$pid" 2>/dev/null; do awk '/^VmRSS/ {print int($2/1024)}' "/proc/$pid/status"; sleep 0.2; done ) >"$d/samples" &
  sampler=$!
  node "$root/scripts/hostile/udp-send.mjs" "$udp" "$2" "$3" "$4" 0 >"$d/sent"
  sleep 8 # incidents close after the 5 s idle timeout
  local r8; r8=$(rss)
  sleep 32
  local r40; r40=$(rss)
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  peak=$(sort -n "$d/samples" | tail -1)
  local records; records=$(grep -c '' "$d/state/panics.jsonl" 2>/dev/null || echo 0)
  printf '%s\n' "== $name: $(cat "$d/sent")"
  printf '   RSS MB: baseline %s, peak during flood %s, +8 s %s, +40 s %s (VmHWM incl. startup %s)\n' \
    "$r0" "$peak" "$r8" "$r40" "$(hwm)"
  printf '   stored records %s, /panics %s, kerno_node_kernel_panics_total %s, duplicate incidents %s\n' \
    "$records" "$(hget "$base/panics?limit=1000" | jq .count)" "$(metric kerno_node_kernel_panics_total)" \
    "$(metric kerno_netconsole_duplicate_incidents_total)"
  printf '   packets received %s; %s\n' "$(metric kerno_netconsole_packets_total)" \
    "$(metric_line kerno_netconsole_packets_dropped_total)"
  kill -TERM "$pid"; wait "$pid"; pid=
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); rmem_max $(cat /proc/sys/net/core/rmem_max)"
run_case "A: $lines lines, $ports source ports, 100 distinct panics" "$lines" "$ports" 100
run_case "B: 400 senders, 100 distinct panics" 400 400 100
