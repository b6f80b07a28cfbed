#!/usr/bin/env bash
# Kernel memory of kerno's BPF maps, before → after the map-memory bound (bench/README.md, map-memory).
# Builds the BPF objects of BASE_REV (default: the commit before src/bpf/map-memory.ts appeared) into a
# temporary directory, then runs run.ts with them as "before". Needs root, clang and bpftool.
#   bench/map-memory/run.sh [--cpus 2,16,64,192]
set -euo pipefail
cd "$(dirname "$0")/../.."
base=${BASE_REV:-$(git log --diff-filter=A --format=%H -- src/bpf/map-memory.ts | tail -1)^}
tmp=$(mktemp -d /tmp/kerno-map-memory.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
git archive "$base" bpf scripts/build-bpf.sh | tar -x -C "$tmp"
cp bpf/vmlinux.h "$tmp/bpf/" # generated from this kernel's BTF, not committed
(cd "$tmp" && mkdir -p test/fixtures && scripts/build-bpf.sh >/dev/null)
echo "before: $(git rev-parse --short "$base")"
node --import tsx bench/map-memory/run.ts --before "$tmp/build/bpf" "$@"
