#!/usr/bin/env bash
# The dashboard benchmark: server time of the first queue page and of /metrics with 1,000,000 queued jobs.
#
#   bash scripts/bench-web.sh            # release build in .build-bench; COSMOS_BENCH_JOBS (1000000), ROUNDS (50)
#
# queue-bench --fill makes a state database with the jobs queued (and the queue paused, so nothing starts); a
# release cosmos-worker serves it with [web] on loopback. Each request is timed by curl on loopback
# (time_starttransfer: request sent to first byte, which is when the server has built the whole answer).
# The peer, on the same file in the same run: sqlite3 reading the same first page (the rows and the count).
# Prints p50, p95 and max in milliseconds, and the ratios to the peer.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${COSMOS_BENCH_JOBS:-1000000}
ROUNDS=${COSMOS_BENCH_ROUNDS:-50}

command -v sqlite3 >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get -q -y install --no-install-recommends sqlite3
for product in cosmos-worker cosmosctl queue-bench; do
  swift build -c release --scratch-path .build-bench --product "$product" >/dev/null
done
BIN=.build-bench/release
WORK=$(mktemp -d /tmp/cosmos-bench-web.XXXXXX)
trap 'kill "$DAEMON" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/state"
"$BIN/queue-bench" --fill "$WORK/state/cosmos.db" "$JOBS"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$WORK/config.toml" <<TOML
[daemon]
state_dir = "$WORK/state"
durable_commits = false
[images]
allow = ["cosmos-test/*"]
[web]
listen = "127.0.0.1:$PORT"
[[hosts]]
name = "local"
gpus = 1
gpu_mode = "env"
TOML
"$BIN/cosmos-worker" --config "$WORK/config.toml" >"$WORK/daemon.log" 2>&1 &
DAEMON=$!
CTL=("$BIN/cosmosctl" --socket "$WORK/state/cosmos.sock")
for _ in $(seq 300); do "${CTL[@]}" status >/dev/null 2>&1 && break; sleep 0.1; done
"${CTL[@]}" status >/dev/null || { cat "$WORK/daemon.log" >&2; exit 1; }
BASE="http://127.0.0.1:$PORT"
curl -s -c "$WORK/jar" -o /dev/null "$("${CTL[@]}" web 2>/dev/null)"

# time_ms CMD...: runs CMD ROUNDS times (after 3 warm-up runs); prints the times in milliseconds, one per line.
curl_times() { # url
  for _ in 1 2 3; do curl -s -b "$WORK/jar" -o /dev/null "$1"; done
  for _ in $(seq "$ROUNDS"); do
    curl -s -b "$WORK/jar" -o /dev/null -w '%{time_starttransfer}\n' "$1" | awk '{ printf "%.3f\n", $1 * 1000 }'
  done
}
PAGE_SQL="SELECT * FROM job INDEXED BY job_queue WHERE state IN ('queued','held') AND parent_id IS NULL
  ORDER BY priority DESC, seq LIMIT 50; SELECT COUNT(*) FROM job INDEXED BY job_queue
  WHERE state IN ('queued','held') AND parent_id IS NULL;"
sqlite_times() {
  for _ in 1 2 3; do sqlite3 "$WORK/state/cosmos.db" "$PAGE_SQL" >/dev/null; done
  for _ in $(seq "$ROUNDS"); do
    python3 - "$WORK/state/cosmos.db" "$PAGE_SQL" <<'PY'
import subprocess, sys, time
start = time.perf_counter()
subprocess.run(["sqlite3", sys.argv[1], sys.argv[2]], stdout=subprocess.DEVNULL, check=True)
print(f"{(time.perf_counter() - start) * 1000:.3f}")
PY
  done
}
stats() { sort -n | awk '{ v[NR] = $1 } END { printf "%.1f %.1f %.1f\n", v[int((NR + 1) / 2)], v[int(NR * 0.95 + 0.999)], v[NR] }'; }

page=$(curl_times "$BASE/" | stats)
metrics=$(curl_times "$BASE/metrics" | stats)
peer=$(sqlite_times | stats)
total=$(curl -s -b "$WORK/jar" "$BASE/?fragment=1" | grep -o '[0-9]* jobs' | head -1)
samples=$(curl -s "$BASE/metrics" | grep -c '^cosmos_')

echo "bench-web: $JOBS queued jobs ($total on the page's count), $ROUNDS rounds each, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
echo
echo "| request | p50 ms | p95 ms | max ms | p50 / peer p50 | target |"
echo "|---|---:|---:|---:|---:|---|"
read -r pp50 pp95 pmax <<<"$peer"
row() { # name stats target
  read -r p50 p95 max <<<"$2"
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$p50" "$p95" "$max" \
    "$(awk -v a="$p50" -v b="$pp50" 'BEGIN { printf "%.2f", a / b }')" "$3"
}
row "first queue page (GET /, 50 rows + count)" "$page" "≤ 200 ms"
row "GET /metrics ($samples samples)" "$metrics" "≤ 100 ms"
row "peer: sqlite3 CLI, the same page query + count" "$peer" "-"
