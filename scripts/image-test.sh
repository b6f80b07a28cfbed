#!/usr/bin/env bash
# Runs the image with exactly the privileges deploy/k8s/daemonset.yaml grants — its capabilities (drop ALL,
# add the listed ones) or privileged flag, hostPID, hostNetwork, seccomp, no-new-privileges, read-only root,
# limits and every volume it mounts, translated by test/image/daemonset-docker.ts — and checks
# (verify.sh phase "image"):
#   doctor      kerno doctor -d 3s -o json: every collector ok with all its programs loaded
#   bpf-verify  kerno bpf-verify --json: N/N, N the checkout's count
#   start       the DaemonSet's own args (kerno start … --metrics-token-file from the Secret): the process
#               has exactly the listed capabilities; /readyz answers without a token, /metrics is 401
#               without it and 200 with it; SIGTERM stops it within terminationGracePeriodSeconds
# Usage: DOCKER_HOST=… scripts/image-test.sh doctor|bpf-verify|start IMAGE
# Capabilities the daemon cannot name (dockerd 20.10: BPF, PERFMON) go through runtime kerno-runc
# (scripts/kerno-runc), which kerno's own dockerd registers. The writable hostPath (state dir) and the
# Secret are scratch directories under /tmp, removed on exit, like the containers (by their names).
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
# shellcheck source=docker-lib.sh
. "$root/scripts/docker-lib.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
mode=${1:?usage: image-test.sh doctor|bpf-verify|start IMAGE}
image=${2:?usage: image-test.sh doctor|bpf-verify|start IMAGE}
_kerno_docker_host=${DOCKER_HOST:?DOCKER_HOST: the daemon to run on (scripts/docker-lib.sh docker_up)}
manifest=deploy/k8s/daemonset.yaml
name="kerno-image-$mode-$$"

scratch=$(mktemp -d /tmp/kerno-image-test.XXXXXX)
cleanup() {
  dk rm -f "$name" >/dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT
mkdir -p "$scratch/state" "$scratch/secret"
token=$(openssl rand -hex 32)
printf '%s\n' "$token" >"$scratch/secret/token"
chmod 0400 "$scratch/secret/token"

tr_json=$(node --import tsx test/image/daemonset-docker.ts --manifest "$manifest" \
  --host-path "/var/lib/kerno=$scratch/state" --secret "kerno-metrics-token=$scratch/secret") ||
  fail "cannot translate $manifest to docker run"
mapfile -t run < <(jq -r '.run[]' <<<"$tr_json")
mapfile -t args < <(jq -r '.args[]' <<<"$tr_json")

# Capabilities this daemon cannot name: through kerno-runc, which adds them to the OCI config.
opts=() oci_caps=()
for o in "${run[@]}"; do
  if [[ $o == --cap-add=* ]]; then
    cap=${o#--cap-add=}
    if dk create --name "$name" --cap-add="$cap" "$image" >/dev/null 2>"$scratch/err"; then
      dk rm "$name" >/dev/null
      opts+=("$o")
    elif grep -q 'unknown capability' "$scratch/err"; then
      oci_caps+=("CAP_${cap#CAP_}")
    else
      fail "docker create --cap-add=$cap: $(cat "$scratch/err")"
    fi
  else
    opts+=("$o")
  fi
done
if ((${#oci_caps[@]})); then
  dk info --format '{{json .Runtimes}}' | jq -e 'has("kerno-runc")' >/dev/null ||
    fail "this Docker daemon cannot name ${oci_caps[*]} and has no kerno-runc runtime (use kerno's own dockerd: scripts/docker-lib.sh)"
  opts+=(--runtime=kerno-runc -e "KERNO_OCI_CAP_ADD=$(IFS=,; echo "${oci_caps[*]}")")
fi
echo "docker run ${opts[*]} $image"

case $mode in
  doctor)
    rep=$(dk run --rm --name "$name" "${opts[@]}" "$image" doctor -d 3s -o json) || fail "doctor exited $?"
    jq -e '.schemaVersion and (.coverage | length > 0)' <<<"$rep" >/dev/null || fail "doctor: no report with coverage"
    jq -e '[.coverage[] | select(.state != "ok" or .programsLoaded != .programsTotal)] | length == 0' <<<"$rep" >/dev/null ||
      fail "doctor coverage incomplete: $(jq -c '[.coverage[] | select(.state != "ok" or .programsLoaded != .programsTotal)]' <<<"$rep")"
    echo "doctor -d 3s: $(jq -r '[.coverage[]] | length' <<<"$rep") collectors ok, programs $(jq -r '[.coverage[].programsLoaded] | add' <<<"$rep")/$(jq -r '[.coverage[].programsTotal] | add' <<<"$rep"): $(jq -c '[.coverage[] | .name]' <<<"$rep")"
    ;;
  bpf-verify)
    want=$("$root/bin/bpf-verify" --json | jq -r .total)
    [[ $want =~ ^[0-9]+$ && $want -gt 0 ]] || fail "checkout bpf-verify counted '$want' programs"
    out=$(dk run --rm --name "$name" "${opts[@]}" "$image" bpf-verify --json) || fail "bpf-verify exited $?"
    jq -e --argjson n "$want" '.total == $n and .loaded == $n and .attached == $n' <<<"$out" >/dev/null ||
      fail "bpf-verify: $(jq -c '{total, loaded, attached}' <<<"$out"), want $want/$want"
    echo "bpf-verify: $(jq -r '"\(.attached)/\(.total)"' <<<"$out") programs loaded and attached (checkout: $want)"
    ;;
  start)
    listen=${args[$(($(printf '%s\n' "${args[@]}" | grep -nx -- --listen | cut -d: -f1)))]}
    [[ $listen == 127.0.0.1:* ]] || fail "--listen $listen: expected \$(POD_IP):port with POD_IP=127.0.0.1"
    ! ss -Hltn "sport = :${listen##*:}" | grep -q . || fail "port ${listen##*:} is in use on this host (hostNetwork)"
    printf '%s\n' "${args[@]}" | grep -qx -- --metrics-token-file || fail "the DaemonSet does not pass --metrics-token-file"
    grace=$(node --import tsx -e "const Y = await import('yaml'); const fs = await import('node:fs');
      console.log(Y.parse(fs.readFileSync('$manifest', 'utf8')).spec.template.spec.terminationGracePeriodSeconds ?? 30)")
    dk run -d --name "$name" "${opts[@]}" "$image" "${args[@]}" >/dev/null || fail "docker run -d exited $?"
    url=http://$listen
    for ((i = 0; i < 60; i++)); do
      [[ $(curl -s -o /dev/null -w '%{http_code}' "$url/readyz") == 200 ]] && break
      [[ $(dk inspect -f '{{.State.Running}}' "$name") == true ]] || { dk logs "$name" 2>&1 | tail -20; fail "kerno start exited"; }
      sleep 0.5
    done
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$url/readyz") == 200 ]] || { dk logs "$name" 2>&1 | tail -20; fail "/readyz not 200 within 30 s"; }
    echo "/readyz without a token: 200 (after $((i / 2)) s)"
    # The capabilities the kernel gave the process: exactly the manifest's list.
    pid=$(dk inspect -f '{{.State.Pid}}' "$name")
    eff=$(awk '/^CapEff:/ { print $2 }' "/proc/$pid/status")
    declare -A capno=([CHOWN]=0 [DAC_OVERRIDE]=1 [DAC_READ_SEARCH]=2 [FOWNER]=3 [KILL]=5 [SETGID]=6 [SETUID]=7
      [NET_BIND_SERVICE]=10 [NET_ADMIN]=12 [NET_RAW]=13 [IPC_LOCK]=14 [SYS_MODULE]=16 [SYS_RAWIO]=17
      [SYS_CHROOT]=18 [SYS_PTRACE]=19 [SYS_ADMIN]=21 [SYS_RESOURCE]=24 [SYSLOG]=34 [PERFMON]=38 [BPF]=39)
    want_mask=0
    for c in $(jq -r '.run[] | select(startswith("--cap-add=")) | sub("--cap-add="; "")' <<<"$tr_json"); do
      [[ -n ${capno[${c#CAP_}]:-} ]] || fail "capability $c: number unknown to this test"
      want_mask=$((want_mask | (1 << ${capno[${c#CAP_}]})))
    done
    [[ $((16#$eff)) -eq $want_mask ]] || fail "CapEff $eff, expected $(printf '%016x' "$want_mask") (the manifest's capabilities)"
    echo "capabilities of kerno start (CapEff): $eff = $(jq -r '[.run[] | select(startswith("--cap-add=")) | sub("--cap-add="; "")] | join(",")' <<<"$tr_json")"
    code=$(curl -s -o /dev/null -w '%{http_code}' "$url/metrics")
    [[ $code == 401 ]] || fail "/metrics without a token: $code, want 401"
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer wrong" "$url/metrics")
    [[ $code == 401 ]] || fail "/metrics with a wrong token: $code, want 401"
    body=$(curl -sf -H "Authorization: Bearer $token" "$url/metrics") || fail "/metrics with the Secret's token failed"
    loaded=$(awk '$1 == "kerno_bpf_programs_loaded" { print $2 }' <<<"$body")
    [[ ${loaded:-0} -gt 0 ]] || fail "/metrics: kerno_bpf_programs_loaded ${loaded:-missing}"
    echo "/metrics: 401 without or with a wrong token; 200 with the Secret's token (kerno_bpf_programs_loaded $loaded)"
    t0=$(date +%s%N)
    dk stop -t "$grace" "$name" >/dev/null
    ms=$((($(date +%s%N) - t0) / 1000000))
    rc=$(dk inspect -f '{{.State.ExitCode}}' "$name")
    [[ $rc == 0 ]] || { dk logs "$name" 2>&1 | tail -20; fail "kerno start exited $rc on SIGTERM"; }
    ((ms < grace * 1000)) || fail "SIGTERM took $ms ms (grace ${grace}s)"
    echo "SIGTERM: exit 0 after $ms ms (grace ${grace} s)"
    ;;
  *) fail "unknown mode '$mode'" ;;
esac
echo PASS
