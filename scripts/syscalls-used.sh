#!/usr/bin/env bash
# Which system calls kerno makes as a daemon, measured: runs `kerno start` (the release executable, or the
# checkout's bundle) under strace -f through its whole life — first start, /metrics, /readyz, /findings,
# /panics scrapes, a netconsole line, SIGHUP reload, SIGTERM shutdown — and prints the sorted syscall names.
# deploy/systemd/kerno.service's SystemCallFilter must allow every one (test/unit/daemon/deploy.test.ts reads
# the list this writes to test/fixtures/systemd/syscalls-used.txt; scripts/verify.sh manifests re-measures).
# Usage: scripts/syscalls-used.sh [EXECUTABLE]   (root; strace)
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
exe=${1:-}
if [[ -n $exe ]]; then cmd=("$exe"); else cmd=(node "$root/dist/bundle/kerno.js"); fi
command -v strace >/dev/null || { echo "syscalls-used: strace is not installed" >&2; exit 1; }
tmp=$(mktemp -d /tmp/kerno-syscalls.XXXXXX)
pid= daemon=
cleanup() {
  [[ -n $daemon ]] && kill -KILL "$daemon" 2>/dev/null
  [[ -n $pid ]] && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
port=$((20000 + RANDOM % 20000)) udp=$((20000 + RANDOM % 20000))
# The unit's environment: JSON logs, a state directory of its own.
KERNO_LOG_FORMAT=json strace -f -qq -c -o "$tmp/strace" "${cmd[@]}" start --listen "127.0.0.1:$port" \
  --state-dir "$tmp/state" --interval 2s --netconsole-listen "udp://127.0.0.1:$udp" >"$tmp/out" 2>&1 &
pid=$!
get() { node -e 'fetch(process.argv[1]).then(async (r) => { await r.text(); process.exit(r.ok ? 0 : 1); }, () => process.exit(1))' "$1"; }
for _ in $(seq 1 150); do get "http://127.0.0.1:$port/readyz" && break; sleep 0.2; done
get "http://127.0.0.1:$port/readyz" || { cat "$tmp/out" >&2; echo "syscalls-used: the daemon never became ready" >&2; exit 1; }
# Signals go to the daemon, strace's child: sent to strace itself they would only detach it. Looked up only
# once the daemon answers: at start-up strace forks short-lived children of its own to probe ptrace features,
# and one of those taken for the daemon is gone by the time it is signalled.
daemon=$(pgrep -P "$pid" -f "$(basename "${cmd[-1]}")" || true)
[[ -n $daemon && $daemon != *[!0-9]* ]] || { echo "syscalls-used: strace's child running ${cmd[*]} is not one process: '${daemon//$'\n'/ }'" >&2; exit 1; }
sleep 3 # one diagnosis window
for path in metrics findings panics healthz; do get "http://127.0.0.1:$port/$path"; done
printf '6,1,0,-;kerno syscalls-used probe\n' >"/dev/udp/127.0.0.1/$udp"
kill -HUP "$daemon"; sleep 1
get "http://127.0.0.1:$port/metrics"
kill -TERM "$daemon"
wait "$pid" || true
pid= daemon=
# strace -c: a table whose last column names the syscall; skip its header, rule lines and total.
awk 'NF >= 5 && $NF != "total" && $NF != "syscall" && $1 !~ /^-/ { print $NF }' "$tmp/strace" | sort -u
