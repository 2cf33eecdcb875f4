#!/usr/bin/env bash
# Restart with work in flight: 200 running containers on 3 engines, the daemon restarted, READY timed.
#
#   bash scripts/bench-restart.sh      # release build in .build-bench; COSMOS_BENCH_JOBS (200), COSMOS_BENCH_ROUNDS (3)
#
# Three extra engines (scripts/test-engines.sh up bench-r1 bench-r2 bench-r3), each a host with 64 GPU slots (env
# mode, the most a host may have). The jobs run `sleep 3600` in the test image; those past the 192 slots ask for
# no GPU (`gpus: 0`), so all of them run at once. Once all of them run, the
# daemon is stopped, by SIGTERM (a graceful stop: `on_stop = "leave"` leaves the containers running) and by
# SIGKILL (a crash), and started again. READY is timed from the exec of the new daemon to its `READY=1` on
# NOTIFY_SOCKET (the real sd_notify protocol, received by a datagram socket here); the daemon sends it after
# its first reconciliation, which has launched a runner adopting each running job. Duplicates: containers on all
# engines minus distinct jobs, plus jobs no longer running or past their first attempt (a re-run); it must be
# 0. The peer is `docker ps` over the same engines (one listing each), the least any restart must do. At the
# end the engines are removed with their containers.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${COSMOS_BENCH_JOBS:-200}
ROUNDS=${COSMOS_BENCH_ROUNDS:-3}
ENGINES=(bench-r1 bench-r2 bench-r3)
IMAGE=cosmos-test/busybox:latest

for product in cosmos-worker cosmosctl; do
  swift build -c release --scratch-path .build-bench --product "$product" >/dev/null
done
BIN=$PWD/.build-bench/release
WORK=$(mktemp -d /tmp/cosmos-bench-restart.XXXXXX)
DAEMON=""
cleanup() {
  [[ -n $DAEMON ]] && kill -9 "$DAEMON" 2>/dev/null
  wait 2>/dev/null || true
  bash scripts/test-engines.sh down "${ENGINES[@]}" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
echo "[bench-restart] starting ${#ENGINES[@]} engines" >&2
bash scripts/test-engines.sh up "${ENGINES[@]}" >/dev/null

per_host=64
{
  cat <<TOML
[daemon]
state_dir = "$WORK/state"
[images]
allow = ["cosmos-test/*"]
TOML
  for engine in "${ENGINES[@]}"; do
    cat <<TOML
[[hosts]]
name = "$engine"
docker = "unix:///run/cosmos-test-engines/$engine/docker.sock"
gpus = $per_host
gpu_mode = "env"
TOML
  done
} >"$WORK/config.toml"
ctl=("$BIN/cosmosctl" --socket "$WORK/state/cosmos.sock")

# Starts the daemon with NOTIFY_SOCKET (sets DAEMON); READY to the seconds from its exec to READY=1.
start_daemon() {
  rm -f "$WORK/notify.sock" "$WORK/ready"
  python3 - "$WORK/notify.sock" "$WORK/ready" <<'PY' &
import socket, sys, time
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(sys.argv[1])
open(sys.argv[2] + ".listening", "w").close()
sock.settimeout(120)
while True:
    message = sock.recv(4096).decode()
    if "READY=1" in message.split("\n"):
        open(sys.argv[2], "w").write(repr(time.time()))
        break
PY
  local listener=$!
  while [[ ! -e $WORK/ready.listening ]]; do sleep 0.01; done
  rm -f "$WORK/ready.listening"
  local start
  start=$(python3 -c 'import time; print(repr(time.time()))')
  NOTIFY_SOCKET=$WORK/notify.sock "$BIN/cosmos-worker" --config "$WORK/config.toml" >>"$WORK/daemon.log" 2>&1 &
  DAEMON=$!
  wait "$listener"
  READY=$(awk -v a="$start" -v b="$(cat "$WORK/ready")" 'BEGIN { printf "%.2f", b - a }')
}

running_count() {
  "${ctl[@]}" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["counts"].get("running", 0))'
}

# Waits (deadline 600 s) until every job runs; prints the seconds since $1.
wait_all_running() {
  local since=$1 deadline=$((SECONDS + 600))
  until [[ $(running_count) == "$JOBS" ]]; do
    ((SECONDS < deadline)) || {
      echo "[bench-restart] not all $JOBS jobs running after 600 s" >&2
      exit 1
    }
    sleep 0.2
  done
  awk -v a="$since" -v b="$(python3 -c 'import time; print(repr(time.time()))')" 'BEGIN { printf "%.2f", b - a }'
}

# Containers on all engines minus distinct jobs, plus jobs past their first attempt.
duplicates() {
  local containers
  containers=$(for engine in "${ENGINES[@]}"; do
    docker -H "unix:///run/cosmos-test-engines/$engine/docker.sock" ps -a --filter label=cosmos.job \
      --format '{{.Label "cosmos.job"}}'
  done)
  local total distinct rerun
  total=$(grep -c . <<<"$containers" || true)
  distinct=$(sort -u <<<"$containers" | grep -c . || true)
  rerun=$("${ctl[@]}" list --jsonl | python3 -c '
import json, sys
print(sum(1 for line in sys.stdin if (job := json.loads(line))["state"] != "running" or job["attempts"] > 1))')
  echo "[bench-restart] containers $total, distinct jobs $distinct, not running or re-run $rerun" >&2
  echo $((total - distinct + rerun))
}

peer_listing() {
  local start end
  start=$(date +%s.%N)
  for engine in "${ENGINES[@]}"; do
    docker -H "unix:///run/cosmos-test-engines/$engine/docker.sock" ps -a --filter label=cosmos.job -q >/dev/null
  done
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}

start_daemon
echo "[bench-restart] first start: READY in $READY s; submitting $JOBS jobs" >&2
python3 -c "
import json
for i in range($JOBS):
    gpus = 1 if i < $per_host * ${#ENGINES[@]} else 0
    print(json.dumps({'name': f'r{i}', 'image': '$IMAGE', 'command': ['sleep', '3600'], 'gpus': gpus}))" >"$WORK/jobs.jsonl"
"${ctl[@]}" submit --file "$WORK/jobs.jsonl" >/dev/null
took=$(wait_all_running "$(python3 -c 'import time; print(repr(time.time()))')")
echo "[bench-restart] all $JOBS running after $took s" >&2

echo "bench-restart: $JOBS running containers on ${#ENGINES[@]} engines, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
echo
echo "| round | stop | READY s | docker ps of the engines s | duplicates |"
echo "|---:|---|---:|---:|---:|"
for round in $(seq "$ROUNDS"); do
  for signal in TERM KILL; do
    kill -s "$signal" "$DAEMON"
    wait "$DAEMON" 2>/dev/null || true
    DAEMON=""
    start_daemon
    printf '| %s | SIG%s | %s | %s | %s |\n' "$round" "$signal" "$READY" "$(peer_listing)" "$(duplicates)"
  done
done
