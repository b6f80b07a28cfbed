#!/usr/bin/env bash
# Ring-buffer throughput to JS (see run.ts for the method). Root only; builds the fixture if needed.
#   bench/ringbuf-throughput/run.sh [run.ts options…]   e.g. --rounds 3 --interval 1,5,10 --ring 4M,16M,64M
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
cd "$root"
[[ $(id -u) -eq 0 ]] || { echo "run as root" >&2; exit 1; }
scripts/build-bpf.sh >/dev/null
mkdir -p bench/out
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
exec node --import tsx bench/ringbuf-throughput/run.ts "$@"
