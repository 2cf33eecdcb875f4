#!/usr/bin/env bash
# The event-stream benchmark: a burst of state changes watched by 3 subscribers; prints a table.
#
#   bash scripts/bench-events.sh            # release build in .build-bench, 1,000 state changes
#
# The changes: with the queue paused, 500 jobs submitted in one request (500 entries in one commit), then
# those 500 cancelled one request each. Every subscriber reads GET /v1/events over the control socket from
# before the burst. Reported: messages sent against entries (the aggregation ratio), delivery latency from an
# entry's commit timestamp to the subscriber's read (p50, p99, max), and lost and duplicated entries by
# sequence number. Then progress transactions per 1,000 batch-run progress lines (from status --json).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${COSMOS_BENCH_JOBS:-500}
# shellcheck source=bench/daemon.sh
source scripts/bench/daemon.sh
bench_daemon events
"${CTL[@]}" pause >/dev/null
START=$("${CTL[@]}" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["event_seq"])')
UNTIL=$((START + 2 * N))
CLIENTS=()
for i in 1 2 3; do
  python3 scripts/bench/events_client.py --socket "$WORK/state/cosmos.sock" --since "$START" --until "$UNTIL" \
    --ready "$WORK/ready.$i" >"$WORK/client.$i.json" &
  CLIENTS+=($!)
done
for i in 1 2 3; do for _ in $(seq 100); do [ -e "$WORK/ready.$i" ] && break; sleep 0.05; done; done
python3 -c "
import json
print('\n'.join(json.dumps({'image': 'cosmos-test/busybox:latest', 'command': ['true']}) for _ in range($N)))
" >"$WORK/jobs.jsonl"
"${CTL[@]}" submit --file "$WORK/jobs.jsonl" --json | python3 -c 'import json,sys; print("\n".join(j["id"] for j in json.load(sys.stdin)))' >"$WORK/ids"
"${CTL[@]}" cancel $(cat "$WORK/ids") >/dev/null
wait "${CLIENTS[@]}"

python3 - "$WORK" "$START" "$UNTIL" <<'PY'
import json, sys
work, start, until = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
expected = list(range(start + 1, until + 1))
print(f"entries: {len(expected)} ({len(expected)//2} submitted in one request, then cancelled one by one); 3 subscribers")
print(f"{'client':<8}{'messages':>9}{'entries':>9}{'ratio':>8}{'lost':>6}{'dup':>5}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}")
for i in (1, 2, 3):
    r = json.load(open(f"{work}/client.{i}.json"))
    seqs, lat = r["seqs"], sorted(r["latencies_ms"])
    lost = len(set(expected) - set(seqs)); dup = len(seqs) - len(set(seqs))
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")
    print(f"{i:<8}{r['messages']:>9}{r['events']:>9}{r['messages']/max(r['events'],1):>8.1%}{lost:>6}{dup:>5}{p(0.5):>8.0f}{p(0.99):>8.0f}{lat[-1] if lat else 0:>8.0f}")
PY

# Progress lines of a batch run: 1,000 lines from one container, recorded per window.
"${CTL[@]}" resume >/dev/null
cat >"$WORK/run.jsonl" <<'JSONL'
{"image": "cosmos-test/busybox:latest", "command": ["sh", "-c", "i=0; while [ $i -lt 1000 ]; do echo '##cosmos progress index=0 state=running'; i=$((i+1)); done; mkdir -p /cosmos/out; echo '{\"items\": [{\"index\": 0, \"status\": \"succeeded\", \"outputs\": []}]}' > /cosmos/out/manifest.json"]}
JSONL
PARENT=$("${CTL[@]}" submit --batch-run --file "$WORK/run.jsonl" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
"${CTL[@]}" wait "$PARENT" --timeout 120 >/dev/null || true
"${CTL[@]}" status --json | python3 -c '
import json, sys
w = json.load(sys.stdin)["writes"]
lines, tx = w["progress_lines"], w["progress_transactions"]
print("progress lines: %d, transactions: %d, per 1,000 lines: %.0f" % (lines, tx, 1000 * tx / max(lines, 1)))'
