#!/bin/sh
# Run INSIDE a kernels-phase guest (by scripts/verify.sh): on this kernel every kerno program loads and
# attaches (bpf-verify N/N), the attach types the Debian kernels offer load and attach (tp_btf, raw_tp,
# fentry, kprobe; classic tracepoints exactly when tracefs is mounted), and `kerno doctor` reports complete
# coverage. Prints one summary line per part; exits non-zero on the first failure.
set -u
out=/var/tmp/kerno-basics
mkdir -p "$out"
fail() {
  echo "FAIL: $*"
  exit 1
}
echo "kernel: $(uname -r)"

bin/bpf-verify --json >"$out/verify.json" || { cat "$out/verify.json"; fail "bpf-verify exited non-zero"; }
jq -e '.total > 0 and .loaded == .total and .attached == .total' "$out/verify.json" >/dev/null ||
  { jq -c '.programs[] | select(.loaded != true or .attached != true)' "$out/verify.json"; fail "bpf-verify: not every program loaded and attached"; }
echo "bpf-verify: $(jq -r '"\(.loaded)/\(.total) loaded, \(.attached)/\(.total) attached"' "$out/verify.json")"

bin/bpf-verify --features --json >"$out/features.json" || fail "bpf-verify --features exited non-zero"
echo "features: $(jq -r '[.features[] | "\(.attachType)=\(if .supported then "yes" else "no" end)"] | join(" ")' "$out/features.json") tracefs=$(jq -r '.tracefsMounted' "$out/features.json")"
for t in tp_btf raw_tp fentry kprobe; do
  jq -e --arg t "$t" '[.features[] | select(.attachType == $t and .supported)] | length == 1' "$out/features.json" >/dev/null ||
    fail "attach type $t does not load+attach: $(jq -r --arg t "$t" '.features[] | select(.attachType == $t) | .error' "$out/features.json")"
done
jq -e '[.features[] | select(.attachType == "tracepoint")][0].supported == .tracefsMounted' "$out/features.json" >/dev/null ||
  fail "classic tracepoint support does not follow tracefs"

bin/kerno doctor -d 5s -o json >"$out/doctor.json" || fail "kerno doctor exited non-zero"
# The expected version comes from the published schema, so a bump cannot leave this check behind.
want=$(jq -r '.properties.schemaVersion.const' docs/report.schema.json)
jq -e --argjson v "$want" '.schemaVersion == $v' "$out/doctor.json" >/dev/null ||
  fail "doctor report schemaVersion $(jq -r .schemaVersion "$out/doctor.json"), docs/report.schema.json says $want"
jq -e '[.coverage[] | select(.state != "ok" or .programsLoaded != .programsTotal)] | length == 0' \
  "$out/doctor.json" >/dev/null || { jq -c '.coverage[]' "$out/doctor.json"; fail "doctor coverage is not complete"; }
echo "doctor: coverage $(jq -r '"\([.coverage[] | select(.state == "ok")] | length)/\(.coverage | length) collectors ok, \([.coverage[].programsLoaded] | add)/\([.coverage[].programsTotal] | add) programs"' "$out/doctor.json"), summary $(jq -c .summary "$out/doctor.json")"
