# Checks for scripts/verify.sh phase `hostile` (issue 15): bad input, full disks, floods, SIGTERM in every
# phase. Sourced by verify.sh (uses its $root, $logdir and kerno()). Loopback only; every process started
# here is killed by PID, every mount is kerno-named and unmounted, every temp dir removed.

hx_tmp() { mktemp -d /tmp/kerno-hostile.XXXXXX; }

# hget URL : the body of a GET (node rather than curl: curl is only among setup.sh --test's packages).
hget() { node -e 'fetch(process.argv[1]).then((r) => r.text()).then((t) => process.stdout.write(t), () => process.exit(1))' "$1"; }
export -f hget # used inside wait_for's bash -c conditions

# one_line CODE REGEX CMD... : CMD exits CODE within 30 s with exactly one stderr line, starting "kerno:",
# matching REGEX, no stack trace, no control characters.
one_line() {
  local want=$1 re=$2; shift 2
  local errf="$logdir/hostile.stderr.$$"
  timeout -k 2 30 "$@" >/dev/null 2>"$errf"
  local got=$?
  cat "$errf"
  [[ $got -eq $want ]] || { echo "exit $got, want $want"; return 1; }
  [[ $(grep -c '' "$errf") -eq 1 ]] || { echo "want exactly one stderr line"; return 1; }
  grep -qE '^kerno: ' "$errf" || { echo "the line does not start with 'kerno: '"; return 1; }
  grep -qE -- "$re" "$errf" || { echo "does not match /$re/"; return 1; }
  ! grep -qE '^\s+at ' "$errf" || { echo "stack trace"; return 1; }
  ! grep -qP '[\x00-\x08\x0b-\x1f\x7f]' "$errf" || { echo "control characters on stderr"; return 1; }
}

# The hostile input table: input → exit code and the one line. Each runs in well under a second unless
# noted (the drip case is the 10 s deadline).
hostile_inputs() {
  local d rc=0 port srv
  d=$(hx_tmp)
  mkfifo "$d/fifo.yaml"
  head -c 300000 /dev/zero | tr '\0' '#' >"$d/big.yaml"
  { echo 'a: &a ["x","x","x","x","x","x","x","x","x"]'
    prev=a; for i in 1 2 3 4 5 6 7 8 9; do echo "b$i: &b$i [*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev]"; prev=b$i; done
  } >"$d/bomb.yaml"
  : >"$d/empty-token"
  mkdir "$d/ro" && mount -t tmpfs -o ro,size=64k kerno-hostile-ro "$d/ro"
  node "$root/scripts/hostile/server.mjs" >"$d/port" & srv=$!
  for _ in $(seq 50); do [[ -s $d/port ]] && break; sleep 0.1; done
  port=$(cat "$d/port")
  # a UDP port held by someone else
  node -e "require('dgram').createSocket('udp4').bind(0,'127.0.0.1',function(){console.log(this.address().port)})" >"$d/udpport" & local udp=$!
  for _ in $(seq 50); do [[ -s $d/udpport ]] && break; sleep 0.1; done
  local busy; busy=$(cat "$d/udpport")
  local K="$root/bin/kerno"
  local -a table=(
    "3|not a regular file|$K --config /dev/zero doctor -d 1s"
    "3|a FIFO, not a regular file|$K --config $d/fifo.yaml doctor -d 1s"
    "3|larger than 256 KiB|$K --config $d/big.yaml doctor -d 1s"
    "3|excessive alias count|$K --config $d/bomb.yaml doctor -d 1s"
    "3|KERNO_FAULT_INJECT: bad entry|env KERNO_FAULT_INJECT=garbage $K doctor -d 1s"
    "3|unknown collector \"nope\"|env KERNO_FAULT_INJECT=nope:throw-in-start $K doctor -d 1s"
    "3|throw-after needs a whole number|env KERNO_FAULT_INJECT=tcp:throw-after=-1 $K start --listen 127.0.0.1:0"
    "3|KERNO_CGROUP_ROOT: /nonexistent: no such directory|env KERNO_CGROUP_ROOT=/nonexistent $K doctor -d 1s"
    "1|/proc/sys is on procfs|$K start --listen 127.0.0.1:0 --state-dir /proc/sys/kerno --netconsole-listen udp://127.0.0.1:0"
    "1|read-only filesystem \\(EROFS\\)|$K start --listen 127.0.0.1:0 --state-dir $d/ro/state --netconsole-listen udp://127.0.0.1:0"
    "1|bind netconsole udp://127.0.0.1:$busy: .*EADDRINUSE|$K start --listen 127.0.0.1:0 --state-dir $d/state --netconsole-listen udp://127.0.0.1:$busy"
    "2|--netconsole-listen: must not be empty|$K start --listen 127.0.0.1:0 --netconsole-listen="
    "2|--listen: expected host:port|$K start --listen="
    "2|not resolved through DNS|$K start --listen 256.1.1.1:80"
    "2|--from: empty URL|$K doctor --from="
    "3|--token-file .*: is empty|$K doctor --from 127.0.0.1:$port --token-file $d/empty-token"
    "1|connection refused|$K doctor --from 127.0.0.1:1"
    "1|invalid report: |$K doctor --from 127.0.0.1:$port/bad/findings -o json"
    "1|invalid report: |$K doctor --from 127.0.0.1:$port/bad/findings -o plain"
    "1|larger than 16 MiB|$K doctor --from 127.0.0.1:$port/huge/findings"
    "1|no complete answer within 10s|$K doctor --from 127.0.0.1:$port/drip/findings"
    "1|HTTP 302 redirect to /loop/findings|$K doctor --from 127.0.0.1:$port/loop/findings"
    "1|HTTP 500: first second A+…$|$K doctor --from 127.0.0.1:$port/ansi/findings"
  )
  local row want re cmd t0
  for row in "${table[@]}"; do
    IFS='|' read -r want re cmd <<<"$row"
    t0=$(date +%s%N)
    # shellcheck disable=SC2086 # the command is a word list by design
    if one_line "$want" "$re" $cmd >"$d/case.log" 2>&1; then
      printf 'ok   %5d ms  exit %s  %s\n' $((($(date +%s%N) - t0) / 1000000)) "$want" "$cmd"
    else
      printf 'FAIL %s\n' "$cmd"; sed 's/^/       /' "$d/case.log"; rc=1
    fi
  done
  # the 2 GiB body: the client's peak RSS stays far below it
  local kb
  kb=$(python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$K" doctor --from "127.0.0.1:$port/huge/findings")
  echo "doctor --from a 2 GiB body: peak RSS ${kb} KiB"
  ((kb < 200000)) || { echo "FAIL: peak RSS ${kb} KiB"; rc=1; }
  kill "$srv" "$udp" 2>/dev/null; wait "$srv" "$udp" 2>/dev/null
  umount "$d/ro"; rm -rf "$d"
  return $rc
}

# daemon_port LOG : the HTTP port from the daemon's "starting" log line.
daemon_port() { grep -o '"listen":"http://127.0.0.1:[0-9]*"' "$1" | head -1 | grep -o '[0-9]*"$' | tr -d '"'; }
udp_port() { grep -o 'netconsole receiver listening.*"port":[0-9]*' "$1" | head -1 | grep -o '[0-9]*$'; }

wait_for() { # wait_for SECONDS CMD...
  local end=$((SECONDS + $1)); shift
  until "$@"; do ((SECONDS < end)) || return 1; sleep 0.1; done
}

# SIGTERM in every phase: config loading, setup (HTTP bind, state dir, socket), collectors loading, running.
# A signal at each delay after the spawn must end the daemon within 5 s, exit 0 (or 143 for a signal that
# arrives before the handlers are installed), leaving no process.
sigterm_every_phase() {
  local d rc=0 delay pid t0 ms code
  d=$(hx_tmp)
  { echo 'log_level: info'; for i in $(seq 4000); do echo "# padding $i $(printf 'x%.0s' {1..40})"; done; } >"$d/config.yaml"
  for delay in 0.02 0.1 0.3 0.6 1 2 4; do
    "$root/bin/kerno" --config "$d/config.yaml" --log-format json start --listen 127.0.0.1:0 \
      --state-dir "$d/state" --netconsole-listen udp://127.0.0.1:0 >/dev/null 2>"$d/log.$delay" &
    pid=$!
    sleep "$delay"
    t0=$(date +%s%N)
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    ms=$((($(date +%s%N) - t0) / 1000000))
    if kill -0 "$pid" 2>/dev/null; then
      echo "FAIL: SIGTERM ${delay}s after start: still running after ${ms} ms"; kill -KILL "$pid"; rc=1
    fi
    wait "$pid"; code=$?
    local phase; phase=$(grep -o '"msg":"[^"]*"' "$d/log.$delay" | tail -3 | tr '\n' ' ')
    printf 'SIGTERM at %4ss: exit %s after %5d ms  (%s)\n' "$delay" "$code" "$ms" "$phase"
    ((ms <= 5000)) || { echo "FAIL: took ${ms} ms"; rc=1; }
    [[ $code -eq 0 || $code -eq 143 ]] || { echo "FAIL: exit $code"; tail -5 "$d/log.$delay"; rc=1; }
  done
  rm -rf "$d"
  return $rc
}

# The documented 10 s header timeout: a silent connection and one dripping a byte a second are closed
# between 9.5 and 11.5 s.
header_timeout() {
  local d rc=0 pid port
  d=$(hx_tmp)
  "$root/bin/kerno" --log-format json start --listen 127.0.0.1:0 >/dev/null 2>"$d/log" &
  pid=$!
  wait_for 30 bash -c "grep -q '\"listen\"' '$d/log'" || { echo "daemon did not start"; kill "$pid"; wait "$pid"; rm -rf "$d"; return 1; }
  port=$(daemon_port "$d/log")
  node -e "
    const net = require('net');
    const run = (name, drip) => new Promise((resolve) => {
      const s = net.connect($port, '127.0.0.1'); const t0 = Date.now(); let t;
      const head = 'GET /healthz HTTP/1.1\\r\\nHost: x\\r\\nX-Slow: ' + 'a'.repeat(100); let i = 0;
      s.on('connect', () => { if (drip) t = setInterval(() => s.write(head[i++ % head.length]), 1000); });
      s.on('error', () => {});
      s.on('close', () => { clearInterval(t); resolve([name, Date.now() - t0]); });
      setTimeout(() => { s.destroy(); }, 20000);
    });
    Promise.all([run('silent', false), run('drip 1 B/s', true)]).then((r) => {
      let ok = true;
      for (const [name, ms] of r) { console.log(name + ': closed after ' + ms + ' ms'); if (ms < 9500 || ms > 11500) ok = false; }
      process.exit(ok ? 0 : 1);
    });" || rc=1
  kill -TERM "$pid"; wait "$pid"
  rm -rf "$d"
  return $rc
}

# metric NAME URL : the sum of a counter's samples.
metric_sum() { hget "$2/metrics" | awk -v n="$1" '$1 ~ "^"n"({|$)" {s += $2} END {print s + 0}'; }

# Full disk through the whole daemon: 400 distinct panics into a 64 KiB tmpfs, grow it to 512 KiB, 10 more.
# The metric, /panics and the file agree; no record is corrupt; nothing was lost.
full_disk_daemon() {
  local d rc=0 pid port udp base
  d=$(hx_tmp)
  mkdir "$d/state" && mount -t tmpfs -o size=64k,mode=0700 kerno-hostile-full "$d/state"
  "$root/bin/kerno" --log-format json start --listen 127.0.0.1:0 --state-dir "$d/state" \
    --netconsole-listen udp://127.0.0.1:0 >/dev/null 2>"$d/log" &
  pid=$!
  wait_for 30 bash -c "grep -q 'netconsole receiver listening' '$d/log' && grep -q '\"listen\"' '$d/log'" ||
    { echo "daemon did not start"; kill "$pid"; wait "$pid"; umount "$d/state"; rm -rf "$d"; return 1; }
  port=$(daemon_port "$d/log"); udp=$(udp_port "$d/log"); base="http://127.0.0.1:$port"
  node "$root/scripts/hostile/udp-send.mjs" "$udp" 400 400 400 50
  wait_for 20 bash -c "[ \$(hget '$base/metrics' | awk '/^kerno_netconsole_incidents_unstored/ {print \$2}') -gt 0 ]" ||
    echo "(no incident waiting for the store yet)"
  sleep 7 # the idle timeout (5 s) closes the incidents
  echo "while full: panics=$(metric_sum kerno_node_kernel_panics_total "$base") store_errors=$(metric_sum kerno_netconsole_store_errors_total "$base") unstored=$(metric_sum kerno_netconsole_incidents_unstored "$base")"
  mount -o remount,size=512k "$d/state"
  # 400 distinct panics 1000..1399 have been sent; 10 more new ones
  # 10 more distinct panics, each from its own sender (one sender's lines would make one report)
  node "$root/scripts/hostile/udp-send.mjs" "$udp" 10 10 10 0 5000
  wait_for 90 bash -c "[ \$(hget '$base/metrics' | awk '/^kerno_netconsole_incidents_unstored/ {print \$2}') -eq 0 ] && [ \$(hget '$base/panics?limit=1000' | jq .count) -ge 410 ]"
  local metric listed records corrupt lost
  metric=$(metric_sum kerno_node_kernel_panics_total "$base")
  listed=$(hget "$base/panics?limit=1000" | jq .count)
  corrupt=$(hget "$base/panics?limit=1" | jq .corruptRecords)
  lost=$(metric_sum kerno_netconsole_incidents_lost_total "$base")
  records=$(grep -c '' "$d/state/panics.jsonl")
  echo "after growing: metric=$metric /panics=$listed records=$records corrupt=$corrupt lost=$lost"
  [[ $metric -eq 410 && $listed -eq 410 && $records -eq 410 && $corrupt -eq 0 && $lost -eq 0 ]] || rc=1
  [[ $(stat -c %a "$d/state/panics.jsonl") == 600 ]] || { echo "panics.jsonl mode $(stat -c %a "$d/state/panics.jsonl")"; rc=1; }
  kill -TERM "$pid"; wait "$pid"
  umount "$d/state"; rm -rf "$d"
  return $rc
}

# Flood: 100,000 panic lines from 2,000 source ports (100 distinct panics). One record per incident id,
# drops counted, RSS bounded (< 150 MB) and back near its baseline afterwards.
flood_daemon() {
  local d rc=0 pid port udp base rss0 peak rss1
  d=$(hx_tmp)
  "$root/bin/kerno" --log-format json start --listen 127.0.0.1:0 --state-dir "$d/state" \
    --netconsole-listen udp://127.0.0.1:0 >/dev/null 2>"$d/log" &
  pid=$!
  wait_for 30 bash -c "grep -q 'netconsole receiver listening' '$d/log' && grep -q '\"listen\"' '$d/log'" ||
    { echo "daemon did not start"; kill "$pid"; wait "$pid"; rm -rf "$d"; return 1; }
  port=$(daemon_port "$d/log"); udp=$(udp_port "$d/log"); base="http://127.0.0.1:$port"
  sleep 3
  rss0=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  node "$root/scripts/hostile/udp-send.mjs" "$udp" 100000 2000 100 0
  sleep 8
  local records listed metric dropped dup
  records=$(grep -c '' "$d/state/panics.jsonl")
  listed=$(hget "$base/panics?limit=1000" | jq .count)
  metric=$(metric_sum kerno_node_kernel_panics_total "$base")
  dropped=$(hget "$base/metrics" | grep '^kerno_netconsole_packets_dropped_total' | tr '\n' ' ')
  dup=$(metric_sum kerno_netconsole_duplicate_incidents_total "$base")
  local received dropsum
  received=$(metric_sum kerno_netconsole_packets_total "$base")
  dropsum=$(metric_sum kerno_netconsole_packets_dropped_total "$base")
  sleep 10
  rss1=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  peak=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  echo "flood: records=$records /panics=$listed metric=$metric duplicates=$dup"
  echo "       dropped: $dropped"
  echo "       received $received + dropped $dropsum = $((received + dropsum)) of 100000 sent"
  echo "       RSS baseline ${rss0} KiB, peak ${peak} KiB, 18 s later ${rss1} KiB"
  [[ $records -eq $listed && $records -eq $metric && $records -le 100 ]] || rc=1
  # every datagram is accounted for: read, or dropped by a rate limit, or by the kernel (socket buffer)
  ((received + dropsum == 100000)) || { echo "FAIL: datagrams unaccounted for"; rc=1; }
  ((peak < 150 * 1024)) || { echo "FAIL: peak RSS ${peak} KiB >= 150 MB"; rc=1; }
  kill -TERM "$pid"; wait "$pid"
  rm -rf "$d"
  return $rc
}
