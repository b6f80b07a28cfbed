#!/usr/bin/env bash
# Sets up everything kerno needs on a fresh Debian 12 machine, idempotently and fast when nothing changed:
#   1. Debian packages (only the missing ones; needs root)      4. vmlinux.h + BPF objects (scripts/build-bpf.sh)
#   2. npm ci (when package-lock.json changed)                   5. TypeScript → dist/
#   3. native addon (node-gyp, offline against /usr headers)     6. bundle for bin/ → dist/bundle/ (esbuild)
#                                                                7. man page → dist/man/kerno.1 (kerno man)
# Usage: scripts/setup.sh [--force] [--test]
#   (none)             what building and running kerno needs: bin/kerno's first run calls this
#   --test             also the packages only tests, benches and chaos use (scripts/verify.sh calls this)
#   --test-packages    only make sure those test packages are there, build nothing (scripts/run-tests.sh)
#   --force            rebuild everything
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
force=0 test=0 packages_only=0
for a in "$@"; do
  case $a in
    --force) force=1 ;;
    --test) test=1 ;;
    --test-packages) test=1 packages_only=1 ;;
    *) printf 'setup: unknown option %s (usage: scripts/setup.sh [--force] [--test | --test-packages])\n' "$a" >&2; exit 2 ;;
  esac
done
say() { printf '==> setup: %s\n' "$*" >&2; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

# Launchers started together after a source change (parallel tests) would all rebuild at once and race
# (node-gyp deletes build/ files under the others): one setup at a time; the next finds everything fresh.
mkdir -p dist
exec 9>dist/.setup.lock
flock 9

# 1. Debian packages. Build and run: clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config make g++
#    python3 (node-gyp) gcc git (kerno version in a checkout). Only for tests, benches and chaos (--test):
#    nftables iproute2 util-linux procps (chaos scenarios), jq (verify.sh), stress-ng (the second inducer),
#    prometheus (daemon tests: a real scrape, promtool), bpftrace (bench), curl (specificity against real
#    software), zsh fish groff-base (completion scripts and man page run in the real shells / troff),
#    strace (the system calls the systemd unit must allow, measured), tmux (doctor's live view in a real
#    terminal, read with capture-pane).
pkgs=(clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config make g++ python3 gcc git)
TEST_PKGS=(nftables iproute2 util-linux procps jq stress-ng prometheus bpftrace curl zsh fish groff-base strace tmux)
((packages_only)) && pkgs=()
((test)) && pkgs+=("${TEST_PKGS[@]}")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  [[ $(id -u) -eq 0 ]] || die "missing Debian packages (${missing[*]}); run scripts/setup.sh as root (or sudo) once"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # policy-rc.d keeps package postinst scripts (prometheus) from starting system services.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
  rm -f /usr/sbin/policy-rc.d
  trap - EXIT
fi
((packages_only)) && exit 0

newer() { # newer TARGET SRC... : true when TARGET is missing or any SRC is newer
  local t=$1; shift
  [[ $force -eq 1 || ! -e $t ]] && return 0
  [[ -n $(find "$@" -newer "$t" -type f -print -quit 2>/dev/null) ]]
}

# 2. npm dependencies (exact versions from package-lock.json).
if newer node_modules/.package-lock.json package-lock.json package.json; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >&2 || die "npm ci failed"
  touch node_modules/.package-lock.json
fi

# 3. Native addon. --nodedir=/usr: build offline against the headers Debian/Node ship (no download).
if newer build/Release/kerno_native.node native binding.gyp node_modules/.package-lock.json; then
  say "building native addon"
  npx --no-install node-gyp rebuild --nodedir=/usr >/tmp/kerno-node-gyp.log 2>&1 ||
    { tail -30 /tmp/kerno-node-gyp.log >&2; die "native addon build failed (log: /tmp/kerno-node-gyp.log)"; }
fi

# 4. BPF objects (vmlinux.h from this kernel's BTF).
scripts/build-bpf.sh || die "BPF build failed"

# 5. TypeScript. The registries first: they are generated from the folders (a new collector, rule or
#    scenario module is found, not listed), and rewritten only when they change.
mkdir -p dist
node scripts/gen-registries.mjs || die "generating the registries failed"
if newer dist/.tsc-stamp src rules bin bench test tsconfig.json node_modules/.package-lock.json; then
  say "compiling TypeScript"
  npx --no-install tsc -p tsconfig.json >&2 || die "TypeScript compilation failed"
  touch dist/.tsc-stamp
fi

# 6. The bundle the launchers run (npm run build:bundle, from dist/bin/*.js): one file per command plus
#    shared chunks (doctor: 24 files instead of ~260 ES modules) starts ~100 ms faster. Others may be
#    running bin/kerno while this rebuilds, so it is built beside dist/bundle and renamed in file by file,
#    chunks first (an entry never points at a chunk not yet there); old chunks stay an hour, for a kerno
#    still running that imports one lazily (chunk names carry a content hash, so they never clash).
if [[ ! -f dist/bundle/kerno.js || ! -f dist/bundle/bpf-verify.js || ! -f dist/bundle/kubectl-kerno.js ]] ||
  newer dist/.bundle-stamp dist/.tsc-stamp package.json node_modules/.package-lock.json; then
  say "bundling"
  next=$(mktemp -d dist/.bundle-next.XXXXXX)
  npm run --silent build:bundle -- --outdir="$next" --metafile="$next/meta.json" >&2 ||
    { rm -rf "$next"; die "bundling failed (npm run build:bundle)"; }
  mkdir -p dist/bundle/chunks
  find "$next/chunks" -type f -exec mv -f {} dist/bundle/chunks/ \;
  find "$next" -maxdepth 1 -type f -exec mv -f {} dist/bundle/ \;
  rm -rf "$next"
  find dist/bundle/chunks -type f -mmin +60 -delete
  touch dist/.bundle-stamp
fi
# 7. The man page, from the command definitions the bundle holds (kerno man).
if [[ ! -f dist/man/kerno.1 || dist/.bundle-stamp -nt dist/man/kerno.1 ]]; then
  mkdir -p dist/man
  node dist/bundle/kerno.js man >dist/man/kerno.1.next && mv -f dist/man/kerno.1.next dist/man/kerno.1 ||
    die "man page generation failed (node dist/bundle/kerno.js man)"
fi
# The launchers (bin/) compare sources against this stamp to decide whether to run setup again.
touch dist/.stamp
