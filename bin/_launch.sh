# Sourced by the bin/ shims (they set self=$(readlink -f "$0")). In a checkout (scripts/setup.sh beside the
# sources): make sure the build is present and fresh, then exec the bundled entry point. Staleness is a
# `find -newer` over the sources (~3 ms); paths come from parameter expansion rather than dirname/cd
# subshells (each fork is ~1 ms of every start). An installed package (npm pack) ships its build and no
# sources: it never builds, and a missing file is a broken install, not something to compile.
root=${self%/bin/*}
if [ -f "$root/scripts/setup.sh" ]; then
  stamp="$root/dist/.stamp"
  if [ ! -f "$stamp" ] || [ ! -f "$root/build/Release/kerno_native.node" ] ||
    [ ! -f "$root/dist/bundle/kerno.js" ] || [ ! -f "$root/dist/bundle/bpf-verify.js" ] ||
    [ ! -f "$root/dist/bundle/kubectl-kerno.js" ] ||
    [ -n "$(find "$root/src" "$root/rules" "$root/bin" "$root/native" "$root/bpf" \
      "$root/package-lock.json" "$root/package.json" -newer "$stamp" \
      \( -name '*.ts' -o -name '*.tsx' -o -name '*.c' -o -name '*.h' -o -name '*.cc' -o -name '*.hh' \
      -o -name 'package-lock.json' -o -name 'package.json' \) -print -quit 2>/dev/null)" ]; then
    "$root/scripts/setup.sh" >&2 || { echo "kerno: setup failed (see above); run scripts/setup.sh as root" >&2; exit 1; }
  fi
else
  for f in build/Release/kerno_native.node dist/bundle/kerno.js dist/bundle/bpf-verify.js dist/bundle/kubectl-kerno.js; do
    [ -f "$root/$f" ] || { echo "kerno: $root/$f is missing: the installed package is incomplete; reinstall it" >&2; exit 1; }
  done
fi
# BPF objects load on libuv worker threads; their freed memory would otherwise stay in per-thread malloc
# arenas (measured: idle daemon RSS 66 MB with 2 arenas vs 106-118 MB without).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
# A fixed mmap threshold: glibc otherwise raises it (up to 32 MiB) after each large block is freed, so the
# daemon's later map-read and exposition buffers come from the heap and stay resident once freed. Fixed at
# 128 KiB they are returned on free: 9 MB less RSS after the first diagnosis window (bench/daemon-footprint).
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}"
export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-131072}"
# No --enable-source-maps: reading the maps costs 15-25 ms of every start. Stack traces name the bundle
# (dist/bundle/); NODE_OPTIONS=--enable-source-maps maps them back to src/ when debugging.
