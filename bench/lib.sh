# Shared by the bench/*/run.sh scripts (sourced, never run): timing and medians, one copy.

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# bin/kerno rebuilds first when a source is newer than dist/.stamp (others may be editing): never inside a
# timed run. `--version` goes through the same launcher check and rebuilds if needed.
fresh() { bin/kerno --version >/dev/null 2>&1; }
wall() { # wall CMD... : milliseconds CMD took (output discarded; a failure aborts the bench)
  local s e
  s=$(now_ms)
  "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
  e=$(now_ms)
  echo $((e - s))
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
