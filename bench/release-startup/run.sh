#!/usr/bin/env bash
# Release executable vs checkout launcher: the size of dist/release/kerno-<version>-linux-x86_64 (and what it
# is made of), its first start (unpacking its assets to /run), then interleaved rounds of `--version` and of
# `doctor --duration 1s --output json` (wall time minus the 1 s window) for the release and for bin/kerno,
# medians and release/checkout ratios; also their CPU time (user + sys), which a loaded machine disturbs less.
#   bench/release-startup/run.sh [ROUNDS]     (default 7)
# Packages first when the executable is missing (untimed). The unpack directory is left as found: removed
# at the end when this run created it.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
cd "$root"
# shellcheck source=../lib.sh
source bench/lib.sh
rounds=${1:-7}
[[ $(id -u) -eq 0 ]] || { echo "run as root" >&2; exit 1; }
version=$(node -p 'require("./package.json").version')
exe="dist/release/kerno-$version-linux-x86_64"
[[ -x $exe && -f $exe.json ]] || scripts/package.sh >/dev/null 2>&1 || { echo "scripts/package.sh failed" >&2; exit 1; }
unpacked="/run/kerno-$version-$(jq -r .unpackHash "$exe.json")"
[[ -d $unpacked ]] && had_unpacked=1 || had_unpacked=0
trap '((had_unpacked)) || rm -rf "$unpacked"' EXIT

cpu_wall() { # cpu_wall CMD... : "WALL_MS CPU_MS" (user + sys of CMD and its children)
  local TIMEFORMAT='%3R %3U %3S' t
  t=$({ time "$@" >/dev/null 2>&1; } 2>&1) || { echo "failed: $*" >&2; exit 1; }
  awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' <<<"$t"
}
sample() { # sample WALLS CPUS OFFSET_MS CMD... : appends CMD's wall time minus OFFSET_MS, and its CPU time
  local -n _w=$1 _c=$2
  local off=$3 t
  shift 3
  t=$(cpu_wall "$@")
  _w+=($((${t% *} - off)))
  _c+=("${t#* }")
}

size=$(stat -c %s "$exe")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
fresh
rm -rf "$unpacked"
first=$(wall "$exe" --version)
assets=$(du -sb "$unpacked" | cut -f1)
awk -v s="$size" -v a="$assets" -v n="$(find "$unpacked" -type f | wc -l)" 'BEGIN {
  printf "size: %d bytes (%.1f MiB); unpacked assets %.1f MiB in %d files (addon + libbpf/libelf/libz, BPF objects, JS bundle)\n", s, s / 1048576, a / 1048576, n }'
echo "first start (unpacks to $unpacked): --version ${first} ms"

cv=() rv=() cd=() rd=() cvc=() rvc=() cdc=() rdc=()
for ((r = 1; r <= rounds; r++)); do
  fresh
  sample cv cvc 0 bin/kerno --version
  sample rv rvc 0 "$exe" --version
  sample cd cdc 1000 bin/kerno doctor --duration 1s --output json
  sample rd rdc 1000 "$exe" doctor --duration 1s --output json
  echo "round $r: --version checkout ${cv[-1]} ms, release ${rv[-1]} ms; doctor fixed cost checkout ${cd[-1]} ms, release ${rd[-1]} ms" >&2
done
echo "release-startup: $rounds rounds, medians (doctor wall: minus the 1 s window)"
printf '  %-40s %9s %9s %s\n' "" checkout release release/checkout
row() { awk -v l="$1" -v c="$(median "${@:2:$#/2}")" -v r="$(median "${@:$#/2+2}")" \
  'BEGIN { printf "  %-40s %6s ms %6s ms %.2f\n", l, c, r, r / c }'; }
row "--version, wall" "${cv[@]}" "${rv[@]}"
row "--version, CPU" "${cvc[@]}" "${rvc[@]}"
row "doctor --duration 1s -o json, wall" "${cd[@]}" "${rd[@]}"
row "doctor --duration 1s -o json, CPU" "${cdc[@]}" "${rdc[@]}"
