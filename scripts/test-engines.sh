#!/usr/bin/env bash
# scripts/test-engines.sh — extra Docker engines ("GPU hosts") for multi-host integration tests.
#
# Each engine NAME is a dockerd of its own, with its own managed containerd, in its own network
# namespace (NAME) and UTS namespace (hostname NAME, so `docker info` reports Name=NAME):
#   socket     unix:///run/cosmos-test-engines/NAME/docker.sock
#   run/exec   /run/cosmos-test-engines/NAME/          (pid file, config, exec-root with containerd)
#   data-root  /var/lib/cosmos-test-engines/NAME       (kept by `stop` and `down`, see below)
#   log        /var/log/cosmos-test-engine-NAME.log
# The main engine (/var/run/docker.sock, started by scripts/test-env.sh) is never touched, except
# that `docker save` reads the test images from it.
#
#   up NAME...        start the engines that do not answer (idempotent), then make sure each has
#                     cosmos-test/busybox:latest and cosmos-test/fake-model:latest (same image ids
#                     as the main engine; copied with docker save | docker load when they differ).
#                     Prints one line per engine: NAME unix://.../docker.sock pid=PID
#   stop [--kill] NAME...
#                     "the host dies": SIGTERM its dockerd (which stops the containers, up to
#                     their stop timeout, 10 s by default), wait for it to go, SIGKILL (and kill its
#                     containerd, shims and containers) after the deadline. --kill: SIGKILL at once
#                     (a crash; no wait for containers). Data, netns and the exited containers stay,
#                     so `up NAME` brings the host back with the same images.
#   down [--purge] [NAME...]
#                     remove the engines (all known ones without NAME): force-remove their containers,
#                     stop dockerd and containerd, delete the netns and /run/cosmos-test-engines/NAME.
#                     The data-root (images) is kept so the next `up` is fast; --purge deletes it too.
#   status [NAME...]  one line per engine: NAME unix://.../docker.sock answering pid=PID | not-answering
#
# Run as root. Runs that change state serialise on a lock. Tunables (optional):
#   COSMOS_TEST_ENGINE_TIMEOUT       seconds to wait for an engine to answer      (default 60)
#   COSMOS_TEST_ENGINE_STOP_TIMEOUT  seconds between SIGTERM and SIGKILL in stop  (default 30)
#   COSMOS_TEST_ENGINE_LOCK_TIMEOUT  seconds to wait for another run's lock      (default 300)
#
# Two traps this script avoids (do not "simplify" them back in):
#   * `ip netns exec` remounts /sys for the child: dockerd then sees no cgroups and fails. The engine
#     is started with `nsenter --net=/var/run/netns/NAME` instead.
#   * An extra dockerd in the host's network namespace with --bridge=none deletes the main engine's
#     docker0. Here every engine has its own netns, where --bridge=none --iptables=false is harmless.
set -Eeuo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN_BASE=/run/cosmos-test-engines
DATA_BASE=/var/lib/cosmos-test-engines
NETNS_DIR=/var/run/netns
LOG_PREFIX=/var/log/cosmos-test-engine-
MAIN_SOCK=/var/run/docker.sock
LOCK_FILE=/run/lock/cosmos-test-engines.lock
START_TIMEOUT=${COSMOS_TEST_ENGINE_TIMEOUT:-60}
STOP_TIMEOUT=${COSMOS_TEST_ENGINE_STOP_TIMEOUT:-30}
LOCK_TIMEOUT=${COSMOS_TEST_ENGINE_LOCK_TIMEOUT:-300}
IMAGES=(cosmos-test/busybox:latest cosmos-test/fake-model:latest)
# Marker in the data-root: the storage driver the engine's images live in (set on first start).
DRIVER_MARKER=cosmos-storage-driver

log() { printf '[test-engines] %s\n' "$*" >&2; }
die() {
  printf '[test-engines] ERROR: %s\n' "$*" >&2
  exit 1
}
trap 'rc=$?; printf "[test-engines] ERROR: command failed (exit %s) at %s:%s: %s\n" "$rc" "${BASH_SOURCE[0]}" "$LINENO" "$BASH_COMMAND" >&2; exit "$rc"' ERR

usage() {
  cat >&2 <<'EOF'
usage: test-engines.sh up NAME...
       test-engines.sh stop [--kill] NAME...
       test-engines.sh down [--purge] [NAME...]
       test-engines.sh status [NAME...]
EOF
  exit 2
}

# ------------------------------------------------------------------ helpers ---

valid_name() { [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$ ]]; }

run_dir() { echo "$RUN_BASE/$1"; }
exec_root() { echo "$RUN_BASE/$1/exec"; }
data_root() { echo "$DATA_BASE/$1"; }
sock_path() { echo "$RUN_BASE/$1/docker.sock"; }
sock_url() { echo "unix://$RUN_BASE/$1/docker.sock"; }
pid_file() { echo "$RUN_BASE/$1/docker.pid"; }
log_file() { echo "$LOG_PREFIX$1.log"; }

edocker() { # NAME ARGS...: the docker CLI against engine NAME
  local name=$1
  shift
  docker -H "$(sock_url "$name")" "$@"
}
main_docker() { docker -H "unix://$MAIN_SOCK" "$@"; }

engine_answers() { [[ -S $(sock_path "$1") ]] && timeout 10 docker -H "$(sock_url "$1")" version >/dev/null 2>&1; }

# Engines this machine knows about: run dir or data-root present.
known_engines() {
  local d
  for d in "$RUN_BASE"/*/ "$DATA_BASE"/*/; do
    [[ -d $d ]] || continue
    basename "$d"
  done | sort -u
}

# The dockerd of engine NAME, from its pid file, if it is alive.
dockerd_pid() {
  local pid
  pid=$(cat "$(pid_file "$1")" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF "$(exec_root "$1")" || return 1
  echo "$pid"
}

# Daemon processes of engine NAME (dockerd, containerd, shims): those whose arguments name a
# path under its run dir. Container processes are not included (see kill_leftovers).
engine_daemon_pids() {
  local prefix f pid comm
  prefix="$(run_dir "$1")/"
  for f in /proc/[0-9]*/cmdline; do
    pid=${f#/proc/}
    pid=${pid%/cmdline}
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
    case "$comm" in
      dockerd | containerd | containerd-shim*) ;;
      *) continue ;;
    esac
    if tr '\0' '\n' <"$f" 2>/dev/null | grep -qF -- "$prefix"; then echo "$pid"; fi
  done
}

# True if the process exists and is not a zombie (a dead daemon may wait a while for its reaper,
# PID 1, and kill -0 still succeeds then).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

# Waits until none of the pids is alive; returns 1 on deadline. $1 = seconds, rest = pids.
wait_gone() {
  local deadline=$((SECONDS + $1)) p any
  shift
  while :; do
    any=0
    for p in "$@"; do alive "$p" && any=1; done
    ((any)) || return 0
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

show_log_since() { # NAME OFFSET
  local f
  f=$(log_file "$1")
  log "---- last lines of $f ----"
  tail -c +"$(($2 + 1))" "$f" | tail -n 40 >&2 || true
  log "------------------------------------"
}

# Closes every descriptor above 2 of the current (sub)shell.
close_inherited_fds() {
  local f fd
  local -a fds=()
  for f in /proc/"$BASHPID"/fd/*; do
    fd=${f##*/}
    [[ $fd =~ ^[0-9]+$ ]] && ((fd > 2)) && fds+=("$fd")
  done
  for fd in "${fds[@]}"; do eval "exec $fd>&-" 2>/dev/null || true; done
}

docker0_present() { ip link show docker0 >/dev/null 2>&1; }

# Unmounts everything mounted at or below DIR (deepest first).
unmount_below() {
  local dir=$1 m
  local -a mounts
  mapfile -t mounts < <(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  for m in "${mounts[@]}"; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "$dir: could not unmount $m"
  done
}

# -------------------------------------------------------------------- start ---

ensure_netns() {
  local name=$1 ns="$NETNS_DIR/$1"
  if [[ -e $ns ]] && ! mountpoint -q "$ns"; then
    log "$name: stale $ns (not a namespace mount); recreating"
    ip netns delete "$name" 2>/dev/null || rm -f "$ns"
  fi
  if [[ ! -e $ns ]]; then
    ip netns add "$name"
  fi
  # Not `ip netns exec` (see the header); lo up so that loopback works inside the "host".
  nsenter --net="$ns" ip link set lo up
}

# The storage driver to use: the one the data-root already uses, else the main engine's.
pick_driver() {
  local name=$1 marker d
  marker="$(data_root "$name")/$DRIVER_MARKER"
  if [[ -s $marker ]]; then
    cat "$marker"
    return 0
  fi
  d=$(timeout 10 docker -H "unix://$MAIN_SOCK" info -f '{{.Driver}}' 2>/dev/null || true)
  echo "${d:-overlay2}"
}

main_cgroup_driver() {
  local d
  d=$(timeout 10 docker -H "unix://$MAIN_SOCK" info -f '{{.CgroupDriver}}' 2>/dev/null || true)
  echo "${d:-cgroupfs}"
}

# Poll until engine NAME answers. $2 = pid to watch. 0 up, 1 the process died, 2 deadline.
wait_engine() {
  local name=$1 pid=$2 deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    engine_answers "$name" && return 0
    if ! alive "$pid"; then
      engine_answers "$name" && return 0
      return 1
    fi
    sleep 0.2
  done
  engine_answers "$name" && return 0
  return 2
}

# Starts engine NAME's dockerd (it must not be running). Prints nothing; dies on failure.
start_engine() {
  local name=$1 run xroot data logf driver cgdriver cfg offset pid rc errors had_docker0=0
  run=$(run_dir "$name")
  xroot=$(exec_root "$name")
  data=$(data_root "$name")
  logf=$(log_file "$name")
  docker0_present && had_docker0=1

  # Leftovers of a crash (shims, a containerd without dockerd) would confuse the new daemon. And a
  # containerd.pid naming a dead (or not yet reaped) containerd makes dockerd wait for that one
  # instead of starting its own ("containerd is still running", then a timeout).
  [[ -z $(engine_daemon_pids "$name") ]] || kill_leftovers "$name"
  rm -f "$xroot/containerd/containerd.pid"
  # Callers start an engine only when its pid file names no live dockerd of this engine
  # (dockerd_pid), so a pid file left here is stale: a dockerd killed before it could remove it
  # (an aborted run, a reboot of the container). Its PID may since belong to another process, and
  # dockerd refuses to start while the process it names exists ("pid file found").
  rm -f "$(pid_file "$name")"

  ensure_netns "$name"
  mkdir -p "$xroot" "$data"
  chmod 0711 "$run" "$data"
  # Own config file: the host's /etc/docker/daemon.json (live-restore for the main engine, maybe
  # "hosts" or "data-root") must not apply here. Without live-restore, `stop` ends the containers,
  # as a dying host would. The key file gives each engine its own engine ID.
  cfg="$run/daemon.json"
  printf '{\n  "deprecated-key-path": "%s/key.json"\n}\n' "$data" >"$cfg"
  driver=$(pick_driver "$name")
  cgdriver=$(main_cgroup_driver)
  rm -f "$(sock_path "$name")"
  touch "$logf"

  while :; do
    offset=$(stat -c %s "$logf")
    printf '==== %s test-engines.sh: starting %s (storage driver %s)\n' "$(date -u +%FT%TZ)" "$name" "$driver" >>"$logf"
    # setsid: own session, outlives this script. nsenter --net: the engine's netns (not `ip netns
    # exec`). unshare --uts + /proc/sys/kernel/hostname: `docker info` reports Name=NAME.
    # Each engine's managed containerd lives under its exec-root (socket
    # $xroot/containerd/containerd.sock); distinct containerd namespaces make `ps` show which engine
    # a shim belongs to. The daemon keeps no inherited descriptor beyond 0-2: not our lock (fd 9),
    # and no pipe of the caller's (a test reading our output would never see EOF).
    # shellcheck disable=SC2016 # $0/$@ are the inner sh's
    (
      cd /
      close_inherited_fds
      # No signal blocked or ignored: dockerd passes its mask down to every container.
      exec python3 "$SCRIPT_DIR/exec-clean-signals.py" setsid nsenter --net="$NETNS_DIR/$name" unshare --uts \
        sh -c 'echo "$0" >/proc/sys/kernel/hostname && exec "$@"' "$name" \
        dockerd \
        --config-file "$cfg" \
        -H "$(sock_url "$name")" \
        --data-root "$data" \
        --exec-root "$xroot" \
        --pidfile "$(pid_file "$name")" \
        --containerd-namespace "cosmos-$name" \
        --containerd-plugins-namespace "cosmos-$name-plugins" \
        --storage-driver "$driver" \
        --exec-opt "native.cgroupdriver=$cgdriver" \
        --bridge=none --iptables=false --ip-masq=false --ip-forward=false
    ) >>"$logf" 2>&1 </dev/null &
    pid=$!
    rc=0
    wait_engine "$name" "$pid" || rc=$?
    if ((rc == 0)); then
      break
    fi
    if ((rc == 2)); then
      show_log_since "$name" "$offset"
      kill -KILL "$pid" 2>/dev/null || true
      die "$name: dockerd (pid $pid) did not answer within ${START_TIMEOUT}s; killed it (log: $logf)"
    fi
    errors=$(tail -c +"$((offset + 1))" "$logf" | grep -iE 'level=(error|fatal)|failed to start daemon|^error' || true)
    if [[ $driver != vfs ]] && grep -qiE 'overlay|graphdriver|storage.driver|driver not supported' <<<"$errors"; then
      log "$name: dockerd exited with a storage-driver error ($driver); retrying with vfs"
      driver=vfs
      continue
    fi
    show_log_since "$name" "$offset"
    die "$name: dockerd exited before answering (log: $logf)"
  done
  [[ $(cat "$data/$DRIVER_MARKER" 2>/dev/null) == "$driver" ]] || echo "$driver" >"$data/$DRIVER_MARKER"

  # Guards: the managed containerd must be this engine's own, and the main engine's bridge must
  # have survived (it would not if the engine had been started in the host's netns).
  [[ -S $xroot/containerd/containerd.sock ]] ||
    die "$name: no containerd socket at $xroot/containerd/containerd.sock (see $logf)"
  if ((had_docker0)) && ! docker0_present; then
    die "$name: the main engine's docker0 disappeared after starting this engine"
  fi
}

# ------------------------------------------------------------------- images ---

# Copies the test images from the main engine to NAME unless NAME already has the same image ids.
sync_images() {
  local name=$1 img want have
  local -a todo=() replaced=()
  for img in "${IMAGES[@]}"; do
    have=$(edocker "$name" image inspect -f '{{.Id}}' "$img" 2>/dev/null || true)
    want=$(main_docker image inspect -f '{{.Id}}' "$img" 2>/dev/null || true)
    if [[ -z $want ]]; then
      if [[ -n $have ]]; then
        log "$name: $img not readable from the main engine; keeping ${have:7:12}"
        continue
      fi
      die "$name: $img missing in the main engine ($MAIN_SOCK); run scripts/test-env.sh first"
    fi
    [[ $have == "$want" ]] && continue
    todo+=("$img")
    [[ -n $have ]] && replaced+=("$have")
  done
  ((${#todo[@]})) || return 0
  log "$name: loading ${todo[*]} from the main engine"
  # One stream for all: shared layers travel once.
  main_docker save "${todo[@]}" | edocker "$name" load -q >/dev/null ||
    die "$name: docker save | docker load of ${todo[*]} failed"
  for img in "${todo[@]}"; do
    have=$(edocker "$name" image inspect -f '{{.Id}}' "$img" 2>/dev/null || true)
    want=$(main_docker image inspect -f '{{.Id}}' "$img")
    [[ $have == "$want" ]] || die "$name: $img is '${have:-missing}' after load, expected $want"
  done
  for img in "${replaced[@]}"; do
    edocker "$name" image rm "$img" >/dev/null 2>&1 || true
  done
}

# --------------------------------------------------------------------- stop ---

# Kills what is left of engine NAME after its dockerd is gone: container processes (runc delete
# --force on the engine's runc state), shims and containerd, and the shims' sockets.
kill_leftovers() {
  local name=$1 xroot root id runc_bin sockf
  local -a pids socks=()
  xroot=$(exec_root "$name")
  mapfile -t pids < <(engine_daemon_pids "$name")
  if [[ -d $xroot/runtime-runc ]] && runc_bin=$(command -v runc); then
    for root in "$xroot"/runtime-runc/*/; do
      [[ -d $root ]] || continue
      for id in $("$runc_bin" --root "$root" list -q 2>/dev/null || true); do
        log "$name: killing container ${id:0:12}"
        "$runc_bin" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
      done
    done
  fi
  for sockf in "$xroot"/containerd/daemon/io.containerd.runtime.v2.task/*/*/address; do
    [[ -f $sockf ]] && socks+=("$(sed 's|^unix://||' "$sockf")")
  done
  if ((${#pids[@]})); then
    log "$name: killing leftover daemon processes ${pids[*]}"
    kill -KILL "${pids[@]}" 2>/dev/null || true
    wait_gone 10 "${pids[@]}" || log "$name: processes ${pids[*]} still alive after SIGKILL"
  fi
  for sockf in "${socks[@]}"; do
    [[ $sockf == /run/containerd/s/* ]] && rm -f "$sockf"
  done
  return 0
}

# SIGTERM engine NAME's dockerd, wait up to STOP_TIMEOUT, then SIGKILL everything of it.
# $2 = kill: SIGKILL at once.
stop_engine() {
  local name=$1 mode=${2:-term} pid t0=$SECONDS
  local -a rest
  if pid=$(dockerd_pid "$name"); then
    if [[ $mode == kill ]]; then
      kill -KILL "$pid" 2>/dev/null || true
    else
      kill -TERM "$pid" 2>/dev/null || true
      if ! wait_gone "$STOP_TIMEOUT" "$pid"; then
        log "$name: dockerd pid $pid still running ${STOP_TIMEOUT}s after SIGTERM; SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        mode="kill"
      fi
    fi
    wait_gone 10 "$pid" || die "$name: dockerd pid $pid survives SIGKILL"
    log "$name: dockerd pid $pid gone after $((SECONDS - t0))s (SIG${mode^^})"
  fi
  # A clean shutdown takes containerd and the shims with it; give them a moment, then kill.
  mapfile -t rest < <(engine_daemon_pids "$name")
  if ((${#rest[@]})) && [[ $mode != kill ]]; then wait_gone 5 "${rest[@]}" || true; fi
  mapfile -t rest < <(engine_daemon_pids "$name")
  if ((${#rest[@]})) || compgen -G "$(exec_root "$name")/runtime-runc/*/*/state.json" >/dev/null; then
    kill_leftovers "$name"
  fi
  rm -f "$(sock_path "$name")" "$(pid_file "$name")" "$(exec_root "$name")/containerd/containerd.pid"
}

# --------------------------------------------------------------- commands ---

cmd_up() {
  local name pid t0
  for name in "$@"; do
    t0=$SECONDS
    if ! engine_answers "$name"; then
      if pid=$(dockerd_pid "$name"); then
        # Starting up (or hung): wait for it rather than start a second one.
        log "$name: dockerd pid $pid is running but not answering yet; waiting up to ${START_TIMEOUT}s"
        wait_engine "$name" "$pid" ||
          die "$name: dockerd pid $pid does not answer; run '$0 stop $name' (log: $(log_file "$name"))"
      else
        start_engine "$name"
        log "$name: started in $((SECONDS - t0))s"
      fi
    fi
    sync_images "$name"
    pid=$(dockerd_pid "$name" || echo '?')
    echo "$name $(sock_url "$name") pid=$pid"
  done
}

cmd_stop() {
  local name mode=term
  if [[ ${1:-} == --kill ]]; then
    mode="kill"
    shift
  fi
  (($#)) || usage
  for name in "$@"; do
    if [[ -z $(engine_daemon_pids "$name") ]] && ! compgen -G "$(exec_root "$name")/runtime-runc/*/*/state.json" >/dev/null; then
      log "$name: not running"
      continue
    fi
    stop_engine "$name" "$mode"
  done
}

cmd_down() {
  local purge=0 name data
  local -a names
  if [[ ${1:-} == --purge ]]; then
    purge=1
    shift
  fi
  if (($#)); then names=("$@"); else mapfile -t names < <(known_engines); fi
  for name in "${names[@]}"; do
    valid_name "$name" || die "invalid engine name: $name"
    data=$(data_root "$name")
    if [[ ! -e $(run_dir "$name") && ! -e $data && ! -e $NETNS_DIR/$name && -z $(engine_daemon_pids "$name") ]]; then
      log "$name: not present"
      continue
    fi
    # Containers are removed through the engine, so that it cleans up its layers and records. A
    # stopped engine that still holds containers is started for this.
    if ! engine_answers "$name" && ((purge == 0)) && compgen -G "$data/containers/*" >/dev/null; then
      log "$name: starting the engine to remove its containers"
      [[ -z $(engine_daemon_pids "$name") ]] || stop_engine "$name"
      start_engine "$name"
    fi
    if engine_answers "$name"; then
      local -a ids
      mapfile -t ids < <(edocker "$name" ps -aq 2>/dev/null || true)
      if ((${#ids[@]})); then
        log "$name: removing ${#ids[@]} container(s)"
        edocker "$name" rm -f -v "${ids[@]}" >/dev/null 2>&1 || log "$name: docker rm -f failed (continuing)"
      fi
    fi
    stop_engine "$name"
    unmount_below "$(run_dir "$name")"
    unmount_below "$data"
    if [[ -e $NETNS_DIR/$name ]]; then ip netns delete "$name" 2>/dev/null || log "$name: could not delete netns"; fi
    rm -rf "$(run_dir "$name")"
    if ((purge)); then
      rm -rf "$data"
      log "$name: down (data-root purged)"
    else
      log "$name: down (data-root $data kept)"
    fi
  done
}

cmd_status() {
  local name pid
  local -a names
  if (($#)); then names=("$@"); else mapfile -t names < <(known_engines); fi
  for name in "${names[@]}"; do
    if engine_answers "$name"; then
      pid=$(dockerd_pid "$name" || echo '?')
      echo "$name $(sock_url "$name") answering pid=$pid"
    else
      echo "$name $(sock_url "$name") not-answering"
    fi
  done
}

# -------------------------------------------------------------------- main ---

(($# >= 1)) || usage
cmd=$1
shift
case "$cmd" in
  up | stop) (($# >= 1)) || usage ;;
  down | status) ;;
  *) usage ;;
esac
names=("$@")
if [[ $cmd == down && ${1:-} == --purge ]] || [[ $cmd == stop && ${1:-} == --kill ]]; then
  names=("${@:2}")
fi
for n in "${names[@]}"; do
  valid_name "$n" || die "invalid engine name: '$n' (letters, digits, _ . -; at most 32)"
done

[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, dockerd)"
command -v docker >/dev/null || die "docker CLI not found (docker.io)"

if [[ $cmd == status ]]; then
  cmd_status "$@"
  exit 0
fi

command -v dockerd >/dev/null || die "dockerd not found (docker.io)"
for tool in ip nsenter unshare setsid mountpoint; do
  command -v "$tool" >/dev/null || die "$tool not found (iproute2 / util-linux)"
done

mkdir -p "$(dirname "$LOCK_FILE")" "$RUN_BASE" "$DATA_BASE"
exec 9>"$LOCK_FILE"
if ! flock -n 9; then
  log "another test-engines.sh run holds $LOCK_FILE; waiting (up to ${LOCK_TIMEOUT}s)"
  flock -w "$LOCK_TIMEOUT" 9 || die "timed out waiting for $LOCK_FILE"
fi

"cmd_$cmd" "$@"
