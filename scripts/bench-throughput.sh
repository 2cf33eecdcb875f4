#!/usr/bin/env bash
# Short jobs: cosmos-worker against a shell loop of `docker run`, 200 jobs of `true`, at 1 and 2 slots.
#
#   bash scripts/bench-throughput.sh       # release build in .build-bench; COSMOS_BENCH_JOBS (200), COSMOS_BENCH_SLOTS ("1 2")
#
# The peer, on the same engine in the same run: `docker run --rm --network none IMAGE true` in a loop (1 slot)
# or through `xargs -P2` (2 slots). cosmos-worker: a throwaway daemon with that many GPU slots (env mode),
# durable_commits = true (the default), the queue paused while the jobs are submitted, then timed from
# `resume` to the last job's end (`cosmosctl wait`). Prints seconds per job and the ratio (lower is better).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${COSMOS_BENCH_JOBS:-200}
SLOTS=${COSMOS_BENCH_SLOTS:-"1 2"}
IMAGE=cosmos-test/busybox:latest

for product in cosmos-worker cosmosctl; do
  swift build -c release --scratch-path .build-bench --product "$product" >/dev/null
done
BIN=$PWD/.build-bench/release
WORK=$(mktemp -d /tmp/cosmos-bench-throughput.XXXXXX)
DAEMON=""
trap '[[ -n $DAEMON ]] && kill "$DAEMON" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
now() { date +%s.%N; }

shell_loop() { # slots
  local start end
  start=$(now)
  seq "$JOBS" | xargs -P "$1" -I{} docker run --rm --network none "$IMAGE" true
  end=$(now)
  awk -v a="$start" -v b="$end" -v n="$JOBS" 'BEGIN { printf "%.3f", (b - a) / n }'
}

cosmos() { # slots
  local dir="$WORK/d$1" start end
  mkdir -p "$dir"
  cat >"$dir/config.toml" <<TOML
[daemon]
state_dir = "$dir/state"
[images]
allow = ["cosmos-test/*"]
[[hosts]]
name = "local"
gpus = $1
gpu_mode = "env"
TOML
  "$BIN/cosmos-worker" --config "$dir/config.toml" >"$dir/daemon.log" 2>&1 &
  DAEMON=$!
  local ctl=("$BIN/cosmosctl" --socket "$dir/state/cosmos.sock")
  for _ in $(seq 100); do "${ctl[@]}" status >/dev/null 2>&1 && break; sleep 0.1; done
  "${ctl[@]}" pause >/dev/null
  python3 -c "
import json
for i in range($JOBS):
    print(json.dumps({'name': f't{i}', 'image': '$IMAGE', 'command': ['true']}))" >"$dir/jobs.jsonl"
  "${ctl[@]}" submit --file "$dir/jobs.jsonl" --json | python3 -c 'import json,sys; print(" ".join(j["id"] for j in json.load(sys.stdin)))' >"$dir/ids"
  start=$(now)
  "${ctl[@]}" resume >/dev/null
  # shellcheck disable=SC2046
  "${ctl[@]}" wait $(cat "$dir/ids") --timeout 3600 >/dev/null
  end=$(now)
  kill "$DAEMON"
  wait "$DAEMON" 2>/dev/null || true
  DAEMON=""
  awk -v a="$start" -v b="$end" -v n="$JOBS" 'BEGIN { printf "%.3f", (b - a) / n }'
}

echo "bench-throughput: $JOBS jobs of \`true\` ($IMAGE), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), docker $(docker version -f '{{.Server.Version}}')"
echo
echo "| slots | shell loop, s/job | cosmos-worker, s/job | ratio |"
echo "|---:|---:|---:|---:|"
for slots in $SLOTS; do
  loop=$(shell_loop "$slots")
  worker=$(cosmos "$slots")
  printf '| %s | %s | %s | %s |\n' "$slots" "$loop" "$worker" "$(awk -v a="$worker" -v b="$loop" 'BEGIN { printf "%.2f", a / b }')"
done
