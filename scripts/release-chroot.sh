#!/usr/bin/env bash
# Proves the release executable self-contained (verify.sh phase "package"): runs it in a chroot whose root
# holds only the executable (and a bpf-verify link to it) plus the C libraries `ldd` names for it (the
# official Node binary's: glibc, libstdc++, libgcc_s, the loader), with /proc, /sys and /dev mounted, no
# PATH and HOME=/tmp. Checks, against the checkout (bin/bpf-verify):
#   kerno bpf-verify --json and bpf-verify (argv0) --json: N/N programs, N the checkout's count
#   kerno doctor -d 3s -o json: every collector ok with all its programs loaded
#   kerno version -o json: the release stamp, the libbpf it ships
# The mounts live in a private mount namespace (unshare) and are unmounted by name on exit; the root
# (with the /run/kerno-* directory the executable unpacked into it) is removed afterwards.
# Usage: scripts/release-chroot.sh EXECUTABLE
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)

if [[ ${1:-} != --inside ]]; then
  exe=$(readlink -f "${1:?usage: release-chroot.sh EXECUTABLE}")
  [[ -x $exe ]] || { echo "release-chroot: $exe is not an executable" >&2; exit 1; }
  [[ $(id -u) -eq 0 ]] || { echo "release-chroot: must run as root (chroot, mount, BPF)" >&2; exit 1; }
  croot=$(mktemp -d /tmp/kerno-release-root.XXXXXX)
  # Once the namespace has exited its mounts are gone; --one-file-system guards against one that is not.
  trap 'rm -rf --one-file-system "$croot"' EXIT
  unshare --mount --propagation private -- "$0" --inside "$exe" "$croot"
  exit $?
fi

exe=$2 croot=$3
mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -R "${mounted[i]}" 2>/dev/null || umount -R -l "${mounted[i]}" || echo "release-chroot: cannot unmount ${mounted[i]}" >&2
  done
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The root: the executable, and the libraries ldd names (copied to the paths the loader looks them up at).
install -m 0755 "$exe" "$croot/kerno"
ln -s kerno "$croot/bpf-verify"
ln -s kerno "$croot/kubectl-kerno"
libs=$(ldd "$exe" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
echo "libraries ldd names: $(echo $libs)"
for l in $libs; do
  case ${l##*/} in
    libc.so.* | libm.so.* | libstdc++.so.* | libgcc_s.so.* | ld-linux*.so.* | libdl.so.* | libpthread.so.*) ;;
    *) fail "the executable needs ${l##*/}, which a bare host may not have" ;;
  esac
  mkdir -p "$croot${l%/*}"
  cp -L "$l" "$croot$l"
done
mkdir -p "$croot/proc" "$croot/sys" "$croot/dev" "$croot/run" "$croot/tmp"
chmod 1777 "$croot/tmp"
mount -t proc proc "$croot/proc" && mounted+=("$croot/proc")
# Recursive binds: cgroup hierarchies, tracefs/debugfs and bpffs sit below /sys; pts and shm below /dev.
mount --rbind /sys "$croot/sys" && mounted+=("$croot/sys")
mount --rbind /dev "$croot/dev" && mounted+=("$croot/dev")
[[ -r $croot/sys/kernel/btf/vmlinux ]] || fail "/sys/kernel/btf/vmlinux not readable in the chroot"
echo "chroot contents: $(cd "$croot" && find . -path ./proc -prune -o -path ./sys -prune -o -path ./dev -prune -o \( -type f -o -type l \) -print | sort | tr '\n' ' ')"

in_root() { env -i HOME=/tmp "$(command -v chroot)" "$croot" "$@"; }

want=$("$root/bin/bpf-verify" --json | jq -r .total)
[[ $want =~ ^[0-9]+$ && $want -gt 0 ]] || fail "checkout bpf-verify counted '$want' programs"
echo "checkout: bpf-verify $want programs"

v=$(in_root /kerno version -o json) || fail "kerno version exited $?"
echo "version: $(jq -c . <<<"$v")"
jq -e '.kind == "release" and (.libbpf | test("^v[0-9]"))' <<<"$v" >/dev/null || fail "kerno version: not a release stamp or no libbpf"

for cmd in "/kerno bpf-verify" "/bpf-verify"; do
  out=$(in_root $cmd --json) || fail "$cmd --json exited $?"
  jq -e --argjson n "$want" '.total == $n and .loaded == $n and .attached == $n' <<<"$out" >/dev/null ||
    fail "$cmd: $(jq -c '{total, loaded, attached}' <<<"$out"), want $want/$want"
  echo "$cmd --json: $(jq -r '"\(.attached)/\(.total)"' <<<"$out") programs loaded and attached"
done

# The kubectl plugin is the same executable under its name: it parses its own flags and reads a kubeconfig.
kc_help=$(in_root /kubectl-kerno doctor --help) || fail "kubectl-kerno doctor --help exited $?"
grep -q -- '--all-nodes' <<<"$kc_help" || fail "kubectl-kerno doctor --help: not the plugin's help"
kc_rc=0
kc_err=$(in_root /kubectl-kerno doctor --all-nodes --kubeconfig /nonexistent 2>&1) || kc_rc=$?
[[ $kc_rc -eq 3 && $kc_err == 'kubectl-kerno: kubeconfig /nonexistent: cannot read: no such file' ]] ||
  fail "kubectl-kerno without a kubeconfig: exit $kc_rc, '$kc_err'"
echo "kubectl-kerno (link): its help, and exit 3 with one line for a missing kubeconfig"

rep=$(in_root /kerno doctor -d 3s -o json) || fail "doctor exited $?"
jq -e '.schemaVersion and (.coverage | length > 0)' <<<"$rep" >/dev/null || fail "doctor: no report with coverage"
jq -e '[.coverage[] | select(.state != "ok" or .programsLoaded != .programsTotal)] | length == 0' <<<"$rep" >/dev/null ||
  fail "doctor coverage incomplete: $(jq -c '[.coverage[] | select(.state != "ok" or .programsLoaded != .programsTotal)]' <<<"$rep")"
echo "doctor -d 3s: $(jq -r '[.coverage[] | .name] | length' <<<"$rep") collectors ok: $(jq -c '[.coverage[] | .name]' <<<"$rep")"
echo "unpacked: $(ls -d "$croot"/run/kerno-* | sed "s|$croot||")"
echo "PASS"
