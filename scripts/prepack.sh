#!/usr/bin/env bash
# npm pack / npm publish run this first: the package ships prebuilt files (the bundle, the native addon, the
# BPF objects, the man page) and never builds on the user's machine, so they must exist here, and the bundle
# must hold only the current build's chunks (scripts/setup.sh keeps superseded ones for an hour, for a kerno
# still running from them; a package needs none of those).
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
for f in dist/bundle/kerno.js dist/bundle/bpf-verify.js dist/bundle/kubectl-kerno.js dist/bundle/meta.json dist/man/kerno.1 \
  build/Release/kerno_native.node build/bpf/probe/feature.bpf.o; do
  [[ -f $f ]] || { echo "prepack: $f is missing: run scripts/setup.sh first" >&2; exit 1; }
done
ls build/bpf/*.bpf.o >/dev/null 2>&1 || { echo "prepack: no BPF objects in build/bpf: run scripts/setup.sh first" >&2; exit 1; }
node -e '
  const fs = require("fs"), path = require("path");
  const meta = JSON.parse(fs.readFileSync("dist/bundle/meta.json", "utf8"));
  const current = new Set(Object.keys(meta.outputs).map((o) => path.basename(o)));
  for (const f of fs.readdirSync("dist/bundle/chunks"))
    if (f.endsWith(".js") && !current.has(f)) fs.rmSync(path.join("dist/bundle/chunks", f));
'
