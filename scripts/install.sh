#!/usr/bin/env bash
# Installs the release executable as a systemd service: what deploy/systemd/kerno.service expects, where it
# expects it.
#   /usr/local/bin/kerno                 the release executable (npm run package), and bpf-verify and
#                                        kubectl-kerno beside it (links: it dispatches on its name)
#   /etc/systemd/system/kerno.service    the unit
#   /etc/kerno/config.yaml               deploy/systemd/config.yaml, only when there is none (never overwritten)
#   /usr/local/share/man/man1/kerno.1    the man page; bash completion in /etc/bash_completion.d/kerno
# Then, with systemd running: systemctl daemon-reload, and it prints how to enable the service.
# Usage: scripts/install.sh [EXECUTABLE]   (default dist/release/kerno-<version>-linux-<arch>; root)
#        DESTDIR=/stage scripts/install.sh …   installs under /stage instead of / (packaging, tests)
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
dest=${DESTDIR:-}
die() { printf 'install: %s\n' "$*" >&2; exit 1; }
say() { printf '==> install: %s\n' "$*" >&2; }

version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$root/package.json")
exe=${1:-$root/dist/release/kerno-$version-linux-$(uname -m)}
[[ -f $exe && -x $exe ]] || die "$exe: no release executable there (build it with npm run package, or name one)"
[[ -n $dest || $(id -u) -eq 0 ]] || die "must run as root (or set DESTDIR to stage the files elsewhere)"

# The unit's ExecStart names the executable: install it exactly there.
bin=$(sed -n 's#^ExecStart=\([^ ]*\) .*#\1#p' "$root/deploy/systemd/kerno.service")
[[ $bin == /* ]] || die "deploy/systemd/kerno.service: no absolute ExecStart path"
install -D -m 0755 "$exe" "$dest$bin.new" && mv -f "$dest$bin.new" "$dest$bin"
ln -sfn "$(basename "$bin")" "$dest$(dirname "$bin")/bpf-verify"
# The kubectl plugin (`kubectl kerno doctor`) is the same executable under that name.
ln -sfn "$(basename "$bin")" "$dest$(dirname "$bin")/kubectl-kerno"
say "$bin ($("$dest$bin" --version))"
install -D -m 0644 "$root/deploy/systemd/kerno.service" "$dest/etc/systemd/system/kerno.service"
say /etc/systemd/system/kerno.service
if [[ -e $dest/etc/kerno/config.yaml ]]; then
  say "/etc/kerno/config.yaml exists: kept (the shipped one is $root/deploy/systemd/config.yaml)"
else
  install -D -m 0644 "$root/deploy/systemd/config.yaml" "$dest/etc/kerno/config.yaml"
  say /etc/kerno/config.yaml
fi
install -d -m 0755 "$dest/usr/local/share/man/man1" "$dest/etc/bash_completion.d"
"$dest$bin" man >"$dest/usr/local/share/man/man1/kerno.1"
"$dest$bin" completion bash >"$dest/etc/bash_completion.d/kerno"
say "/usr/local/share/man/man1/kerno.1, /etc/bash_completion.d/kerno"

if [[ -z $dest && -d /run/systemd/system ]]; then
  systemctl daemon-reload
  say "done: systemctl enable --now kerno   (then: curl -s 127.0.0.1:9733/readyz)"
else
  say "done; on the host: systemctl daemon-reload && systemctl enable --now kerno"
fi
