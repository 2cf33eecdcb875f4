#!/usr/bin/env bash
# Listing at 100,000 and 1,000,000 queued jobs: `cosmosctl list --json` against `sqlite3 -json` of the same rows
# on the same file, and the daemon's memory: idle with the jobs queued, at its peak during the list, after it.
#
#   bash scripts/bench-list.sh          # release build in .build-bench; COSMOS_BENCH_SIZES ("100000 1000000")
#
# queue-bench --fill makes each state database (the queue paused, so nothing starts); a release cosmos-worker
# serves it. RSS is read from /proc: VmRSS when idle and after the list, VmHWM (the peak) during it.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${COSMOS_BENCH_SIZES:-"100000 1000000"}
command -v sqlite3 >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get -q -y install --no-install-recommends sqlite3
for product in cosmos-worker cosmosctl queue-bench; do
  swift build -c release --scratch-path .build-bench --product "$product" >/dev/null
done
BIN=$PWD/.build-bench/release
WORK=$(mktemp -d /tmp/cosmos-bench-list.XXXXXX)
DAEMON=""
trap '[[ -n $DAEMON ]] && kill "$DAEMON" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
seconds() { # command...: wall seconds
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

echo "bench-list: $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
echo
echo "| queued jobs | list --json s | sqlite3 -json s | ratio | RSS idle MiB | RSS peak during list MiB | RSS after MiB |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for size in $SIZES; do
  dir="$WORK/$size"
  mkdir -p "$dir/state"
  "$BIN/queue-bench" --fill "$dir/state/cosmos.db" "$size" >/dev/null
  cat >"$dir/config.toml" <<TOML
[daemon]
state_dir = "$dir/state"
durable_commits = false
[[hosts]]
name = "local"
gpus = 1
gpu_mode = "env"
TOML
  "$BIN/cosmos-worker" --config "$dir/config.toml" >"$dir/daemon.log" 2>&1 &
  DAEMON=$!
  ctl=("$BIN/cosmosctl" --socket "$dir/state/cosmos.sock")
  for _ in $(seq 300); do "${ctl[@]}" status >/dev/null 2>&1 && break; sleep 0.1; done
  sleep 2
  idle=$(status_kb "$DAEMON" VmRSS)
  list=$(seconds "${ctl[@]}" list --json)
  peak=$(status_kb "$DAEMON" VmHWM)
  sleep 2
  after=$(status_kb "$DAEMON" VmRSS)
  peer=$(seconds sqlite3 -json "$dir/state/cosmos.db" "SELECT * FROM job INDEXED BY job_queue
    WHERE state IN ('queued', 'held') AND parent_id IS NULL ORDER BY priority DESC, seq")
  kill "$DAEMON"
  wait "$DAEMON" 2>/dev/null || true
  DAEMON=""
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$size" "$list" "$peer" \
    "$(awk -v a="$list" -v b="$peer" 'BEGIN { printf "%.2f", a / b }')" "$(mib "$idle")" "$(mib "$peak")" "$(mib "$after")"
  rm -rf "$dir"
done
