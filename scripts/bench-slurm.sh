#!/usr/bin/env bash
# Short jobs: cosmos-worker against Slurm (Debian's slurm-wlm) and a shell loop, 200 jobs of `true`, 1 and 2 slots.
#
#   bash scripts/bench-slurm.sh      # installs slurm-wlm and munge if missing; COSMOS_BENCH_JOBS (200), COSMOS_BENCH_SLOTS ("1 2")
#
# Slurm runs as a throwaway single-node cluster on this machine (its own config, state and spool in a temporary
# folder; munged started if it is not running), tuned for throughput: `batch_sched_delay=0`, `sched_min_interval=0`,
# an `Epilog` (`/bin/true`: without one the node was freed only at slurmctld's next 1-second pass, 1.03 s/job),
# no accounting, no cgroups, the node with as many CPUs as slots and each job asking for one. The jobs are
# `docker run --rm --network none IMAGE true`, submitted held, released at once and timed to the last one's end
# (the queue polled every 50 ms). The shell loop and cosmos-worker come from scripts/bench-throughput.sh, run right
# after. Prints seconds per job and the ratios (lower is better).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${COSMOS_BENCH_JOBS:-200}
SLOTS=${COSMOS_BENCH_SLOTS:-"1 2"}
IMAGE=cosmos-test/busybox:latest

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  echo "[bench-slurm] installing slurm-wlm and munge" >&2
  DEBIAN_FRONTEND=noninteractive apt-get -q -y install --no-install-recommends slurm-wlm munge >/dev/null
fi
if ! pgrep -x munged >/dev/null; then
  mkdir -p /run/munge && chown munge:munge /run/munge
  runuser -u munge -- /usr/sbin/munged
fi
WORK=$(mktemp -d /tmp/cosmos-bench-slurm.XXXXXX)
stop_slurm() { # stops both daemons and waits (deadline 30 s) until they are gone, so the ports are free
  local pids=() pid deadline=$((SECONDS + 30))
  for file in "$WORK/slurmctld.pid" "$WORK/slurmd.pid"; do
    [[ -f $file ]] && pids+=("$(cat "$file")") && rm -f "$file"
  done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  done
}
trap 'stop_slurm; [[ -n ${COSMOS_BENCH_KEEP:-} ]] || rm -rf "$WORK"' EXIT
now() { date +%s.%N; }
node=$(hostname -s)

slurm() { # slots: seconds per job
  local dir="$WORK/s$1"
  mkdir -p "$dir/state" "$dir/spool"
  cat >"$dir/slurm.conf" <<CONF
ClusterName=cosmosbench
SlurmctldHost=$node
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,default_queue_depth=1000
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
Epilog=/bin/true
MaxJobCount=100000
NodeName=$node CPUs=$1 State=UNKNOWN
PartitionName=bench Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$dir/slurm.conf
  /usr/sbin/slurmctld -i
  /usr/sbin/slurmd
  local deadline=$((SECONDS + 60))
  until sinfo -h -o %t 2>/dev/null | grep -q idle; do
    ((SECONDS < deadline)) || {
      echo "[bench-slurm] the node never came up: $(tail -3 "$dir/slurmd.log")" >&2
      exit 1
    }
    sleep 0.2
  done
  local ids=() start end
  for _ in $(seq "$JOBS"); do
    ids+=("$(sbatch --parsable --hold -n1 -c1 -o /dev/null -e /dev/null --wrap "docker run --rm --network none $IMAGE true")")
  done
  start=$(now)
  scontrol release "$(IFS=,; echo "${ids[*]}")"
  while [[ -n $(squeue -h -o %i 2>/dev/null | head -1) ]]; do sleep 0.05; done
  end=$(now)
  local failed
  failed=$(grep -c "WEXITSTATUS [1-9]" "$dir/slurmctld.log" || true)
  ((failed == 0)) || echo "[bench-slurm] $failed Slurm jobs failed: $(grep -m1 "WEXITSTATUS [1-9]" "$dir/slurmctld.log")" >&2
  stop_slurm
  unset SLURM_CONF
  awk -v a="$start" -v b="$end" -v n="$JOBS" 'BEGIN { printf "%.3f", (b - a) / n }'
}

throughput_row() { # slots: "loop worker" from scripts/bench-throughput.sh (the loop and cosmos-worker, one run)
  COSMOS_BENCH_JOBS=$JOBS COSMOS_BENCH_SLOTS=$1 bash scripts/bench-throughput.sh 2>/dev/null \
    | awk -F'|' -v s="$1" '$2 + 0 == s && $4 ~ /[0-9]/ { gsub(/ /, ""); print $3, $4 }'
}

echo "bench-slurm: $JOBS jobs of \`true\` ($IMAGE), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $(slurmctld -V)"
echo
echo "| slots | shell loop, s/job | Slurm, s/job | cosmos-worker, s/job | Slurm / loop | cosmos / Slurm |"
echo "|---:|---:|---:|---:|---:|---:|"
for slots in $SLOTS; do
  peer=$(slurm "$slots")
  read -r loop worker < <(throughput_row "$slots")
  printf '| %s | %s | %s | %s | %s | %s |\n' "$slots" "$loop" "$peer" "$worker" \
    "$(awk -v a="$peer" -v b="$loop" 'BEGIN { printf "%.2f", a / b }')" \
    "$(awk -v a="$worker" -v b="$peer" 'BEGIN { printf "%.2f", a / b }')"
done
