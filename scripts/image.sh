#!/usr/bin/env bash
# Builds the container image the DaemonSet and the Helm chart run (deploy/image.env names it):
#   scripts/image.sh            build base (cached) + image <KERNO_IMAGE>:<package.json version>, also
#                               tagged kerno:<version>
#   scripts/image.sh --base     the build base only
# No base image is pulled (there is no registry to pull from): the build base is made here from Debian
# packages with mmdebstrap and `docker import`ed as kerno-build-base:bookworm-<hash of its package list>,
# and kept (skipped when it exists). It holds what scripts/setup.sh checks for plus Node/npm, so the image
# build needs no apt; it needs the npm registry (npm ci, the official Node binary package.sh embeds),
# reached over the host's network (--network=host). The runtime stage is FROM scratch: the release
# executable and the C libraries ldd names for it, nothing else (Dockerfile).
# Docker: the daemon at $DOCKER_HOST or /var/run/docker.sock, else kerno's own dockerd, started and
# stopped here (scripts/docker-lib.sh). Prints the image reference on stdout.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
say() { printf '==> image: %s\n' "$*" >&2; }
die() { printf 'image: %s\n' "$*" >&2; exit 1; }
# shellcheck source=docker-lib.sh
. "$root/scripts/docker-lib.sh"

base_only=0
case ${1:-} in
  '') ;;
  --base) base_only=1 ;;
  *) die "unknown argument '$1' (expected --base)" ;;
esac
[[ $(id -u) -eq 0 ]] || die "must run as root (dockerd, mmdebstrap)"

# shellcheck source=../deploy/image.env
. "$root/deploy/image.env"
version=$(node -p 'require("./package.json").version')
image="$KERNO_IMAGE:$version"

# The build base's packages: exactly the ones scripts/setup.sh checks (so package.sh → setup.sh installs
# nothing), and Debian's Node/npm to run npm (the build itself runs on the official Node 20 the Dockerfile
# puts first in PATH: Debian's is 18).
mapfile -t setup_pkgs < <(sed -n 's/^pkgs=(\(.*\))$/\1/p' scripts/setup.sh | tr ' ' '\n' | grep .)
((${#setup_pkgs[@]})) || die "no pkgs=(…) line in scripts/setup.sh to take the build packages from"
base_pkgs=("${setup_pkgs[@]}" nodejs npm ca-certificates openssl binutils)
mirrors=(
  "deb http://deb.debian.org/debian bookworm main"
  "deb http://deb.debian.org/debian bookworm-updates main"
  "deb http://deb.debian.org/debian-security bookworm-security main"
)
# The CAs this host trusts beyond Debian's (a TLS-intercepting proxy's, a company's): the build reaches
# the npm registry the way the host does. Only the build base holds them; the runtime image has none.
shopt -s nullglob
local_cas=(/usr/local/share/ca-certificates/*.crt)
shopt -u nullglob
ca_hooks=()
if ((${#local_cas[@]})); then
  ca_hooks=(--customize-hook="copy-in ${local_cas[*]} /usr/local/share/ca-certificates/"
    --customize-hook='chroot "$1" update-ca-certificates >/dev/null')
fi
base_hash=$( (printf '%s\n' "${base_pkgs[@]}" "${mirrors[@]}" | sort; cat "${local_cas[@]}" </dev/null) | sha256sum | cut -c1-12)
base="kerno-build-base:bookworm-$base_hash"

docker_install || die "installing docker.io/mmdebstrap failed"
docker_up || die "no Docker daemon"
trap docker_down EXIT

if dk image inspect "$base" >/dev/null 2>&1; then
  say "build base $base (cached)"
else
  say "making build base $base with mmdebstrap (${#base_pkgs[@]} packages; a few minutes, once)"
  t0=$SECONDS
  # --variant=apt: Essential + apt; --include the rest. No recommends, no docs or locales beyond C.
  mmdebstrap --quiet --variant=apt --include="$(IFS=,; echo "${base_pkgs[*]}")" \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' "${ca_hooks[@]}" \
    bookworm - "${mirrors[@]}" |
    dk import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$base" >/dev/null ||
    die "mmdebstrap | docker import failed"
  say "build base made in $((SECONDS - t0)) s"
fi
# Earlier bases (a changed package list) are replaced, not accumulated.
while read -r old; do
  [[ $old == "$base" ]] || { say "removing old build base $old"; dk rmi "$old" >/dev/null || true; }
done < <(dk images --format '{{.Repository}}:{{.Tag}}' kerno-build-base)
((base_only)) && { echo "$base"; exit 0; }

commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
[[ $commit != unknown && -n $(git status --porcelain --untracked-files=no) ]] && commit="$commit-dirty"
say "building $image (commit $commit)"
t0=$SECONDS
build_args=(--network=host --build-arg "BUILD_BASE=$base" --build-arg "KERNO_COMMIT=$commit" -f Dockerfile)
# The build stage first, tagged: it is the cache the next build starts from (the classic builder keeps
# only what an image references); then the runtime stage, which finds the build stage in that cache.
dk build "${build_args[@]}" --target build -t "kerno-build:$version" . >&2 || die "docker build (build stage) failed"
dk build "${build_args[@]}" --label "org.opencontainers.image.version=$version" \
  --label "org.opencontainers.image.revision=$commit" -t "$image" . >&2 || die "docker build failed"
# The short name too (same image): `docker run kerno:<version> doctor` on a node that built it.
dk tag "$image" "kerno:$version"
# What earlier builds left untagged (their build stages and images), found by the labels the Dockerfile
# sets, so another project's images on a shared daemon are never touched.
for title in kerno-build kerno; do
  dk image prune -f --filter "label=org.opencontainers.image.title=$title" >/dev/null || true
done
say "$image built in $((SECONDS - t0)) s: $(dk image inspect -f '{{.Size}}' "$image" | awk '{ printf "%d MiB", $1 / 1048576 }')"
echo "$image"
