#!/usr/bin/env bash
# Runs a test tier with node's built-in runner over TypeScript sources (tsx loader).
#   scripts/run-tests.sh unit      pure tests, no root needed
#   scripts/run-tests.sh kernel    real-kernel tests (root + BTF), run serially
#   scripts/run-tests.sh e2e       induced incidents vs doctor (root), serially
#   scripts/run-tests.sh TIER FILE...  the given files with TIER's settings
set -euo pipefail
cd "$(dirname "$0")/.."
tier=${1:-unit}
shift || true
if (($# > 0)); then
  files=("$@")
elif [[ -d test/$tier ]]; then
  mapfile -t files < <(find "test/$tier" -name '*.test.ts' -o -name '*.test.tsx' | sort)
else
  files=("$tier")
fi
if [[ ${#files[@]} -eq 0 ]]; then echo "no test files for '$tier'" >&2; exit 1; fi
# Sources run as they are (tsx): the generated registries must list the modules that exist now.
node scripts/gen-registries.mjs
conc=()
if [[ $tier == kernel || $tier == e2e ]]; then
  # Kernel tests share global kernel state (tracepoints, cgroups, netns): one file at a time.
  conc=(--test-concurrency=1)
  # They drive prometheus, nft, stress-ng …, which bin/kerno's own setup does not install.
  scripts/setup.sh --test-packages || { echo "run-tests: the test packages are missing (scripts/setup.sh --test-packages, as root)" >&2; exit 1; }
fi
exec node --import tsx --test "${conc[@]}" --test-reporter=spec "${files[@]}"
