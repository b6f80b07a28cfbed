# shellcheck shell=bash
# A Docker daemon for scripts/image.sh and verify.sh's image phase (sourced, not run).
#   docker_up     use the daemon that answers at $DOCKER_HOST or /var/run/docker.sock; when none does, start
#                 kerno's own dockerd (Debian's docker.io) with kerno-named state, so a system Docker's
#                 images, containers, networks and cgroups are never touched
#   docker_down   stop that own dockerd by its PID and remove what it created except the image cache
#   dk ARGS…      the docker client against the daemon docker_up chose
# Own daemon: data-root /var/lib/kerno-docker (kept: the base and kerno images, the build cache),
# exec-root /run/kerno-docker, socket /run/kerno-docker.sock, pidfile /run/kerno-docker.pid, containers'
# cgroups under /kerno-docker in each hierarchy. No bridge, no iptables/NAT rules, no userland proxy:
# builds and runs use --network=host (the DaemonSet's hostNetwork), so the host's network is left as is.
# Runtime "kerno-runc" (scripts/kerno-runc): runc plus the capabilities dockerd 20.10 cannot name (BPF,
# PERFMON), for verify.sh's image phase.
# Needs: docker.io and mmdebstrap (docker_install installs them when missing).

KERNO_DOCKER_DATA=/var/lib/kerno-docker
KERNO_DOCKER_EXEC=/run/kerno-docker
KERNO_DOCKER_SOCK=/run/kerno-docker.sock
KERNO_DOCKER_PIDFILE=/run/kerno-docker.pid
KERNO_DOCKER_CGROUP=kerno-docker
_kerno_dockerd_pid=''
_kerno_docker_host=''

# The client from the same package as dockerd (docker.io): a newer client found first in PATH may route
# `docker build` to a buildx plugin this daemon does not have.
_kerno_docker_client() {
  if [[ -n ${KERNO_DOCKER_CLIENT:-} ]]; then echo "$KERNO_DOCKER_CLIENT"
  elif [[ -x /usr/bin/docker ]]; then echo /usr/bin/docker
  else command -v docker
  fi
}

dk() { DOCKER_HOST=$_kerno_docker_host "$(_kerno_docker_client)" "$@"; }

docker_install() {
  local missing=() p
  for p in docker.io mmdebstrap; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  echo "==> image: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || return 1
  # policy-rc.d keeps docker.io's postinst from starting the system's docker service: this machine's
  # Docker (if any) is not ours to start.
  local had_policy=0
  [[ -e /usr/sbin/policy-rc.d ]] && had_policy=1
  ((had_policy)) || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d; }
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  local rc=$?
  ((had_policy)) || rm -f /usr/sbin/policy-rc.d
  return $rc
}

_kerno_docker_answers() { DOCKER_HOST=$1 timeout 10 "$(_kerno_docker_client)" version >/dev/null 2>&1; }

docker_up() {
  local h
  for h in ${DOCKER_HOST:-} unix:///var/run/docker.sock; do
    if _kerno_docker_answers "$h"; then
      _kerno_docker_host=$h
      echo "==> image: using the Docker daemon at $h" >&2
      return 0
    fi
  done
  command -v dockerd >/dev/null || { echo "image: no Docker daemon answers and dockerd is not installed" >&2; return 1; }
  if [[ -s $KERNO_DOCKER_PIDFILE ]] && kill -0 "$(cat "$KERNO_DOCKER_PIDFILE")" 2>/dev/null; then
    # A kerno dockerd left by an interrupted run: reuse it, and stop it at the end like our own.
    _kerno_dockerd_pid=$(cat "$KERNO_DOCKER_PIDFILE")
  else
    mkdir -p "$KERNO_DOCKER_DATA" "$KERNO_DOCKER_EXEC"
    # Its own config file (an admin's /etc/docker/daemon.json may set a data-root or bridge that clashes
    # with these flags), which also keeps dockerd's identity key out of /etc/docker.
    printf '{ "deprecated-key-path": "%s/key.json" }\n' "$KERNO_DOCKER_DATA" >"$KERNO_DOCKER_DATA/daemon.json"
    setsid dockerd --config-file "$KERNO_DOCKER_DATA/daemon.json" --data-root "$KERNO_DOCKER_DATA" \
      --exec-root "$KERNO_DOCKER_EXEC" --pidfile "$KERNO_DOCKER_PIDFILE" -H "unix://$KERNO_DOCKER_SOCK" \
      --bridge=none --iptables=false --ip6tables=false --ip-masq=false --userland-proxy=false \
      --cgroup-parent "/$KERNO_DOCKER_CGROUP" --storage-driver overlay2 \
      --add-runtime "kerno-runc=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kerno-runc" \
      >"$KERNO_DOCKER_DATA/dockerd.log" 2>&1 </dev/null &
    _kerno_dockerd_pid=$!
  fi
  _kerno_docker_host=unix://$KERNO_DOCKER_SOCK
  local i
  for ((i = 0; i < 60; i++)); do
    _kerno_docker_answers "$_kerno_docker_host" && { echo "==> image: started dockerd (pid $_kerno_dockerd_pid, $_kerno_docker_host)" >&2; return 0; }
    kill -0 "$_kerno_dockerd_pid" 2>/dev/null || break
    sleep 0.5
  done
  echo "image: dockerd did not come up; its log ($KERNO_DOCKER_DATA/dockerd.log):" >&2
  tail -20 "$KERNO_DOCKER_DATA/dockerd.log" >&2
  docker_down
  _kerno_docker_host=''
  return 1
}

docker_down() {
  [[ -n $_kerno_dockerd_pid ]] || return 0
  local pid=$_kerno_dockerd_pid i
  _kerno_dockerd_pid=''
  # Containers first (by their kerno- names), so dockerd does not wait on them.
  local ids
  ids=$(DOCKER_HOST=unix://$KERNO_DOCKER_SOCK "$(_kerno_docker_client)" ps -aq 2>/dev/null)
  [[ -z $ids ]] || DOCKER_HOST=unix://$KERNO_DOCKER_SOCK "$(_kerno_docker_client)" rm -f $ids >/dev/null 2>&1 || true
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "image: dockerd $pid did not stop within 30 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  # What the daemon leaves behind: its runtime state, socket, pidfile and the (empty) cgroup parents.
  local m
  while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" || true; done < <(findmnt -rn -o TARGET | grep -E "^($KERNO_DOCKER_EXEC|$KERNO_DOCKER_DATA)/" | sort -r)
  rm -rf --one-file-system "$KERNO_DOCKER_EXEC"
  rm -f "$KERNO_DOCKER_SOCK" "$KERNO_DOCKER_PIDFILE"
  local d
  for d in /sys/fs/cgroup/*/"$KERNO_DOCKER_CGROUP" /sys/fs/cgroup/"$KERNO_DOCKER_CGROUP"; do
    [[ ! -d $d ]] || rmdir "$d" 2>/dev/null || echo "image: cannot remove cgroup $d" >&2
  done
  return 0
}
