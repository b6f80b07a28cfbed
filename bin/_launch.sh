# Sourced by the bin/ shims: make sure the build is present and fresh, then exec the compiled entry point.
# Staleness is a `find -newer` over the sources (milliseconds), so the common path costs nothing.
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
stamp="$root/dist/.stamp"
if [ ! -f "$stamp" ] || [ ! -f "$root/build/Release/kerno_native.node" ] ||
  [ -n "$(find "$root/src" "$root/rules" "$root/bin" "$root/native" "$root/bpf" "$root/package-lock.json" \
    -newer "$stamp" \( -name '*.ts' -o -name '*.tsx' -o -name '*.c' -o -name '*.h' -o -name '*.cc' -o -name '*.hh' -o -name 'package-lock.json' \) -print -quit 2>/dev/null)" ]; then
  "$root/scripts/setup.sh" >&2 || { echo "kerno: setup failed (see above); run scripts/setup.sh as root" >&2; exit 1; }
fi
# BPF objects load on libuv worker threads; their freed memory would otherwise stay in per-thread malloc
# arenas (measured: idle daemon RSS 66 MB with 2 arenas vs 106-118 MB without).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
