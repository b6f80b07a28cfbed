#!/usr/bin/env bash
# End-to-end diagnosis tests (root, BTF): every chaos scenario against `kerno doctor` at production
# thresholds (test/e2e/paired-rules.test.ts), then specificity on an idle and a benign busy host
# (test/e2e/specificity.test.ts) and while real software from Debian packages works
# (test/e2e/real-software.test.ts). One file and one scenario at a time: they share the host's CPUs, disk,
# cgroups and network namespaces. The paired file takes about 5.5 minutes (16 cases, measured), specificity
# (idle, benign busy, 8 real-software windows) about 3 more.
#
#   sudo scripts/e2e-chaos.sh                 both files
#   sudo scripts/e2e-chaos.sh paired          induce → detect only
#   sudo scripts/e2e-chaos.sh specificity     idle / benign busy only
set -euo pipefail
cd "$(dirname "$0")/.."
case ${1:-all} in
  all) files=(test/e2e/paired-rules.test.ts test/e2e/specificity.test.ts test/e2e/real-software.test.ts) ;;
  paired) files=(test/e2e/paired-rules.test.ts) ;;
  specificity) files=(test/e2e/specificity.test.ts test/e2e/real-software.test.ts) ;;
  *) echo "usage: $0 [all|paired|specificity]" >&2; exit 2 ;;
esac
# tsx otherwise keeps an esbuild service child per process, blocked in read() on a pipe: an artefact of
# running TypeScript sources that doctor would (rightly) see on the host. Compile in-process instead.
export ESBUILD_WORKER_THREADS=0
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
