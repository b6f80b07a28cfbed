#!/usr/bin/env bash
# Compiles kerno's BPF programs (CO-RE) against a vmlinux.h generated from the running kernel's BTF.
#
#   scripts/build-bpf.sh           build what changed (make-like: compare timestamps)
#   scripts/build-bpf.sh --force   rebuild every object
#   scripts/build-bpf.sh --clean   remove build/bpf (keeps bpf/vmlinux.h)
#
# Sources → objects:
#   bpf/*.bpf.c            → build/bpf/<name>.bpf.o
#   bpf/probe/*.bpf.c      → build/bpf/probe/<name>.bpf.o
#   test/fixtures/*.bpf.c  → build/bpf/fixtures/<name>.bpf.o
#   bench/*/*.bpf.c        → build/bpf/bench/<name>.bpf.o
# An object is rebuilt when it is older than its .c, any bpf/*.h (shared headers and boundary structs), or
# bpf/vmlinux.h. Environment: CLANG (default clang), BPFTOOL (default bpftool), VMLINUX_BTF (default
# /sys/kernel/btf/vmlinux), BPF_CFLAGS (extra flags appended), KERNO_BPF_ARCH (the target's kernel arch
# name for bpf_tracing.h's __TARGET_ARCH_*: default from `uname -m`, x86_64 → x86, aarch64 → arm64; for
# another arch also point VMLINUX_BTF at that kernel's BTF and delete bpf/vmlinux.h).
set -euo pipefail
cd "$(dirname "$0")/.."

CLANG=${CLANG:-clang}
BPFTOOL=${BPFTOOL:-bpftool}
VMLINUX_BTF=${VMLINUX_BTF:-/sys/kernel/btf/vmlinux}
OUT=build/bpf

die() { echo "build-bpf: $*" >&2; exit 1; }

force=0
case "${1:-}" in
  '') ;;
  --force) force=1 ;;
  --clean) rm -rf "$OUT"; exit 0 ;;
  *) die "unknown argument '$1' (expected --force or --clean)" ;;
esac

command -v "$CLANG" >/dev/null || die "clang not found (set CLANG or install clang >= 14)"

# vmlinux.h is generated once; delete it to regenerate (e.g. after a kernel upgrade).
if [[ ! -s bpf/vmlinux.h ]]; then
  command -v "$BPFTOOL" >/dev/null || die "bpftool not found (needed to generate bpf/vmlinux.h)"
  [[ -r $VMLINUX_BTF ]] || die "no kernel BTF at $VMLINUX_BTF (kernel built without CONFIG_DEBUG_INFO_BTF?)"
  mkdir -p "$OUT"
  # Written under build/ (ignored by git) and moved into place, so an interrupted dump leaves no partial
  # header behind and no stray file in bpf/.
  tmp=$(mktemp "$OUT/.vmlinux.h.XXXXXX")
  if ! "$BPFTOOL" btf dump file "$VMLINUX_BTF" format c >"$tmp" 2>"$tmp.err"; then
    msg=$(head -n1 "$tmp.err"); rm -f "$tmp" "$tmp.err"
    die "generating bpf/vmlinux.h from $VMLINUX_BTF failed: $msg"
  fi
  rm -f "$tmp.err"
  mv "$tmp" bpf/vmlinux.h
  echo "build-bpf: generated bpf/vmlinux.h"
fi

# The newest header: any change to a shared header rebuilds every object. -nt compares full-precision
# mtimes, so an edit in the same second as the last build is still seen.
newest_dep=bpf/vmlinux.h
for h in bpf/*.h; do
  [[ $h -nt $newest_dep ]] && newest_dep=$h
done

# bpf_tracing.h's PT_REGS_* and syscall-argument helpers are per arch; it names arches as the kernel's
# arch/ directory does, not as uname -m does.
if [[ -z ${KERNO_BPF_ARCH:-} ]]; then
  case $(uname -m) in
    x86_64) KERNO_BPF_ARCH=x86 ;;
    aarch64 | arm64) KERNO_BPF_ARCH=arm64 ;;
    riscv64) KERNO_BPF_ARCH=riscv ;;
    s390x) KERNO_BPF_ARCH=s390 ;;
    ppc64le) KERNO_BPF_ARCH=powerpc ;;
    *) die "unknown machine $(uname -m): set KERNO_BPF_ARCH (x86, arm64, riscv, s390, powerpc, …)" ;;
  esac
fi
[[ $KERNO_BPF_ARCH =~ ^[a-z0-9_]+$ ]] || die "KERNO_BPF_ARCH='$KERNO_BPF_ARCH' is not an arch name"

CFLAGS=(-g -O2 -target bpf "-D__TARGET_ARCH_$KERNO_BPF_ARCH" -Wall -Werror -Ibpf -I"$OUT")
# shellcheck disable=SC2206 # word splitting of user-supplied flags is intended
[[ -n ${BPF_CFLAGS:-} ]] && CFLAGS+=($BPF_CFLAGS)

built=0
failed=0
compile() { # src outdir
  local src=$1 dir=$2 name obj
  name=$(basename "$src" .bpf.c)
  obj=$dir/$name.bpf.o
  if (( !force )) && [[ -f $obj && ! $src -nt $obj && ! $newest_dep -nt $obj ]]; then
    return 0
  fi
  mkdir -p "$dir"
  local log
  # Compile to a temporary name so an interrupted build never leaves a truncated object that looks fresh.
  if log=$("$CLANG" "${CFLAGS[@]}" -c "$src" -o "$obj.tmp" 2>&1); then
    mv "$obj.tmp" "$obj"
    echo "build-bpf: $src → $obj"
    built=$((built + 1))
  else
    rm -f "$obj.tmp"
    # One line to find the failure, then the compiler's own output for the details.
    echo "build-bpf: FAILED $src: $(grep -m1 -E 'error' <<<"$log" || head -n1 <<<"$log")" >&2
    echo "$log" >&2
    failed=$((failed + 1))
  fi
}

shopt -s nullglob
for src in bpf/*.bpf.c; do compile "$src" "$OUT"; done
for src in bpf/probe/*.bpf.c; do compile "$src" "$OUT/probe"; done
for src in test/fixtures/*.bpf.c; do compile "$src" "$OUT/fixtures"; done
for src in bench/*/*.bpf.c; do compile "$src" "$OUT/bench"; done

(( failed == 0 )) || die "$failed object(s) failed to compile"
(( built == 0 )) && echo "build-bpf: up to date"
exit 0
