#!/usr/bin/env bash
# The smart-batching benchmark: the same jobs alone and as smart-batch runs, on the fake model; prints a table.
#
#   bash scripts/bench-smart-batch.sh       # release build in .build-bench; L = 8 s, c = 2 s; n = 2, 4, 8
#
# For each n, on one GPU slot: n single jobs run alone (wall time from resume to the last one's end), then n
# more jobs are paused, analyzed (strict) and executed as one batch run (wall time from execute to its end).
# The measured speedup is alone / batched; the bound is n(L+c)/(L+nc) for the L and c the fake model is set to
# (FAKE_LOAD_SECONDS, FAKE_ITEM_SECONDS); their ratio should be at least 0.95. After each n the learned cost
# model (cosmosctl cost-model) is printed against the values set.
# Tunables: COSMOS_BENCH_L (8), COSMOS_BENCH_C (2), COSMOS_BENCH_SIZES ("2 4 8").
set -euo pipefail
cd "$(dirname "$0")/.."
L=${COSMOS_BENCH_L:-8}
C=${COSMOS_BENCH_C:-2}
SIZES=${COSMOS_BENCH_SIZES:-"2 4 8"}
# shellcheck source=bench/daemon.sh
source scripts/bench/daemon.sh
bench_daemon smart

jobs_file() { # count tag
  python3 -c "
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({'name': f'{sys.argv[2]}-{i}', 'image': 'cosmos-test/fake-model:latest', 'prompt': f'shot {i}',
                      'controls': {'edge': 0.5},
                      'env': {'FAKE_LOAD_SECONDS': sys.argv[3], 'FAKE_ITEM_SECONDS': sys.argv[4]}}))
" "$1" "$2" "$L" "$C" >"$WORK/jobs.jsonl"
}
ids() { python3 -c 'import json,sys; print(" ".join(j["id"] for j in json.load(sys.stdin)))'; }
now() { date +%s.%N; }

echo "fake model: L = ${L} s (FAKE_LOAD_SECONDS), c = ${C} s (FAKE_ITEM_SECONDS); one GPU slot; release build"
printf '%-4s%10s%10s%10s%8s%8s   %s\n' n "alone s" "batch s" speedup bound ratio "learned L / c (samples)"
for n in $SIZES; do
  "${CTL[@]}" pause >/dev/null
  jobs_file "$n" "alone$n"
  ALONE_IDS=$("${CTL[@]}" submit --file "$WORK/jobs.jsonl" --json | ids)
  t0=$(now)
  "${CTL[@]}" resume >/dev/null
  "${CTL[@]}" wait $ALONE_IDS --timeout 3600 >/dev/null
  t1=$(now)

  "${CTL[@]}" pause >/dev/null
  jobs_file "$n" "batch$n"
  "${CTL[@]}" submit --file "$WORK/jobs.jsonl" --json >/dev/null
  "${CTL[@]}" smart-batch analyze --json >"$WORK/plan.json"
  t2=$(now)
  RUNS=$("${CTL[@]}" smart-batch execute --yes --json | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["runs"]))')
  "${CTL[@]}" wait $RUNS --timeout 3600 >/dev/null
  t3=$(now)
  "${CTL[@]}" cost-model --json >"$WORK/model.json"
  python3 - "$n" "$L" "$C" "$t0" "$t1" "$t2" "$t3" "$WORK/model.json" "$WORK/plan.json" <<'PY'
import json, sys
n, L, c = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
alone, batch = float(sys.argv[5]) - float(sys.argv[4]), float(sys.argv[7]) - float(sys.argv[6])
plan = json.load(open(sys.argv[9]))
assert [g["size"] for g in plan["groups"]] == [n], plan
speedup, bound = alone / batch, n * (L + c) / (L + n * c)
model = [m for m in json.load(open(sys.argv[8])) if m["controls"] == ["edge"]][0]
learned = f'{model["setup_seconds"]:.2f} / {model["item_seconds"]:.2f} ({model["samples"]}; '
learned += f'L {100 * (model["setup_seconds"] - L) / L:+.1f}%, c {100 * (model["item_seconds"] - c) / c:+.1f}%)'
print(f"{n:<4}{alone:>10.2f}{batch:>10.2f}{speedup:>9.2f}x{bound:>7.2f}x{speedup / bound:>8.3f}   {learned}")
PY
done
"${CTL[@]}" smart-batch report | head -1
