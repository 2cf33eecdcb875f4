#!/usr/bin/env bash
# scripts/test-env.sh — prepare a machine for cosmos-worker integration tests.
#
#   * installs the Debian packages the build and the tests need,
#   * makes sure a Docker engine answers on /var/run/docker.sock (starts dockerd
#     in the background if not; log: /var/log/cosmos-test-dockerd.log),
#   * turns on live restore (`"live-restore": true` in /etc/docker/daemon.json, applied with SIGHUP) so
#     containers keep running while dockerd restarts, as the engine-restart test needs,
#   * builds the local test images with `docker import` (no registry needed):
#       cosmos-test/busybox:latest     static busybox root fs, CMD /bin/sh
#       cosmos-test/fake-model:latest  the same + /usr/local/bin/fake-model (CMD)
#       cosmos-test/fake-cosmos:latest the same + Debian's python3.11 and the fake Cosmos programs of
#                                      scripts/fake-cosmos/ (transfer1 at /workspace, transfer2.5 at
#                                      /workspace-2.5, torchrun), for the runner adapters' tests
#     An image is rebuilt only when its content hash (label cosmos.test.hash)
#     changed.
#
# `--for-run` (scripts/run.sh): everything above except live restore, which changes the system engine's
# configuration, and only the busybox and fake-model images.
#
# Idempotent; run it as root as often as you like (concurrent runs serialise on
# a lock). It exports nothing. Tunables (optional):
#   COSMOS_TEST_DOCKERD_TIMEOUT  seconds to wait for the engine    (default 60)
#   COSMOS_TEST_APT_TIMEOUT      seconds to wait for a busy apt/dpkg (default 900)
set -Eeuo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FAKE_MODEL_SRC="$SCRIPT_DIR/fake-model/fake-model"
FAKE_COSMOS_SRC="$SCRIPT_DIR/fake-cosmos"
PYTHON_BIN=/usr/bin/python3.11

PACKAGES=(docker.io libsystemd-dev libsqlite3-dev busybox-static iproute2 ca-certificates systemd python3)
# Only the tests need these: curl and promtool (Debian's prometheus) for the metrics tests.
TEST_PACKAGES=(curl prometheus)
DOCKER_SOCK=/var/run/docker.sock
DOCKERD_LOG=/var/log/cosmos-test-dockerd.log
DOCKERD_TIMEOUT=${COSMOS_TEST_DOCKERD_TIMEOUT:-60}
APT_TIMEOUT=${COSMOS_TEST_APT_TIMEOUT:-900}
LOCK_FILE=/run/lock/cosmos-test-env.lock

IMAGE_BUSYBOX=cosmos-test/busybox:latest
IMAGE_FAKE_MODEL=cosmos-test/fake-model:latest
IMAGE_FAKE_COSMOS=cosmos-test/fake-cosmos:latest
HASH_LABEL=cosmos.test.hash
# Bump to force a rebuild when the build recipe itself changes.
RECIPE_VERSION=1

T0=$SECONDS

log() { printf '[test-env] %s\n' "$*" >&2; }
die() {
  printf '[test-env] ERROR: %s\n' "$*" >&2
  exit 1
}
trap 'rc=$?; printf "[test-env] ERROR: command failed (exit %s) at %s:%s: %s\n" "$rc" "${BASH_SOURCE[0]}" "$LINENO" "$BASH_COMMAND" >&2; exit "$rc"' ERR

WORK=""
cleanup() { [[ -n "$WORK" ]] && rm -rf "$WORK"; return 0; }
trap cleanup EXIT

[[ $(id -u) -eq 0 ]] || die "must run as root (installs packages, starts dockerd)"

# Serialise concurrent runs (two runs must not both start a dockerd).
mkdir -p "$(dirname "$LOCK_FILE")"
exec 9>"$LOCK_FILE"
if ! flock -n 9; then
  log "another test-env.sh run holds $LOCK_FILE; waiting (up to ${APT_TIMEOUT}s)"
  flock -w "$APT_TIMEOUT" 9 || die "timed out waiting for $LOCK_FILE"
fi

# ---------------------------------------------------------------- packages ---

pkg_installed() {
  [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true) == installed ]]
}

# True while some apt/dpkg process (other than us) is running.
apt_busy() {
  local f comm
  for f in /proc/[0-9]*/comm; do
    comm=$(cat "$f" 2>/dev/null) || continue
    case "$comm" in
      apt | apt-get | aptitude | dpkg | unattended-upgr) return 0 ;;
    esac
  done
  return 1
}

wait_apt_idle() {
  local deadline=$((SECONDS + APT_TIMEOUT)) next_note=$((SECONDS + 15))
  while apt_busy; do
    ((SECONDS < deadline)) || die "apt/dpkg still busy after ${APT_TIMEOUT}s (another install running?)"
    if ((SECONDS >= next_note)); then
      log "waiting for another apt/dpkg run to finish..."
      next_note=$((SECONDS + 30))
    fi
    sleep 2
  done
}

# apt-get with lock waiting; retried while another apt/dpkg holds the lock.
apt_get() {
  local attempt
  for attempt in 1 2 3; do
    wait_apt_idle
    if DEBIAN_FRONTEND=noninteractive apt-get -q -y \
      -o DPkg::Lock::Timeout=120 -o Dpkg::Options::=--force-confold "$@"; then
      return 0
    fi
    log "apt-get $* failed (attempt $attempt)"
    sleep 3
  done
  die "apt-get $* failed 3 times"
}

install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
  if ((${#missing[@]} == 0)); then
    log "packages: all present"
    return 0
  fi
  log "packages: installing ${missing[*]}"
  apt_get update
  apt_get install --no-install-recommends "${missing[@]}"
  for p in "${missing[@]}"; do
    pkg_installed "$p" || die "package $p still not installed after apt-get install"
  done
}

# ------------------------------------------------------------------ engine ---

docker_() { docker -H "unix://$DOCKER_SOCK" "$@"; }

engine_up() { timeout 15 docker -H "unix://$DOCKER_SOCK" info >/dev/null 2>&1; }

# pid of a running dockerd according to its pid file, if any.
dockerd_pid_running() {
  local pid
  pid=$(cat /var/run/docker.pid 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]] || return 1
  echo "$pid"
}

# Poll until the engine answers. $1 = pid to watch (empty: don't watch).
# Returns 0 when up, 1 when the watched process died, 2 on deadline.
wait_engine() {
  local pid=$1 deadline=$((SECONDS + DOCKERD_TIMEOUT))
  while ((SECONDS < deadline)); do
    engine_up && return 0
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
      engine_up && return 0
      return 1
    fi
    sleep 0.5
  done
  engine_up && return 0
  return 2
}

show_log_since() { # offset
  log "---- last lines of $DOCKERD_LOG ----"
  tail -c +"$(($1 + 1))" "$DOCKERD_LOG" | tail -n 40 >&2 || true
  log "------------------------------------"
}

start_engine() {
  if engine_up; then
    log "engine: already answering on $DOCKER_SOCK"
    return 0
  fi
  command -v dockerd >/dev/null || die "dockerd not found (is docker.io installed?)"

  # A dockerd that is starting up (or hung) already owns the pid file: wait for
  # it rather than starting a second one.
  local pid
  if pid=$(dockerd_pid_running); then
    log "engine: dockerd pid $pid is running but not answering yet; waiting up to ${DOCKERD_TIMEOUT}s"
    wait_engine "$pid" && return 0
    die "dockerd pid $pid (not started by this script) does not answer on $DOCKER_SOCK; stop it or check its log"
  fi

  # Under systemd prefer the packaged unit (docker.io enables it).
  if [[ -d /run/systemd/system ]] && systemctl cat docker.service >/dev/null 2>&1; then
    log "engine: starting docker.service via systemd"
    if systemctl start docker.service && wait_engine ""; then return 0; fi
    log "engine: docker.service did not come up; falling back to a manual dockerd"
    systemctl stop docker.service docker.socket >/dev/null 2>&1 || true
  fi

  # Manual start. Flags are added only when the log shows they are needed:
  #   overlay/graphdriver failure -> --storage-driver=vfs  (e.g. overlay on overlay)
  #   iptables/NAT failure        -> --iptables=false       (no netfilter in the kernel)
  local flags=() offset rc
  touch "$DOCKERD_LOG"
  while :; do
    offset=$(stat -c %s "$DOCKERD_LOG")
    printf '==== %s test-env.sh: dockerd %s\n' "$(date -u +%FT%TZ)" "${flags[*]:-}" >>"$DOCKERD_LOG"
    log "engine: starting dockerd${flags:+ ${flags[*]}} (log: $DOCKERD_LOG)"
    # setsid: own session, so the daemon outlives this script and its process group. It keeps no inherited
    # descriptor beyond 0-2: not our lock (fd 9), and no pipe of a caller's (a test reading our output
    # would never see its end).
    (
      for fd in /proc/"$BASHPID"/fd/*; do
        fd=${fd##*/}
        [[ $fd =~ ^[0-9]+$ ]] && ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
      done
      # No signal blocked or ignored: dockerd passes its mask down to every container.
      exec python3 "$SCRIPT_DIR/exec-clean-signals.py" setsid dockerd "${flags[@]}" >>"$DOCKERD_LOG" 2>&1 </dev/null
    ) &
    pid=$!
    rc=0
    wait_engine "$pid" || rc=$?
    if ((rc == 0)); then
      log "engine: dockerd pid $pid answering after $((SECONDS - T0))s${flags:+ (flags: ${flags[*]})}"
      return 0
    fi
    if ((rc == 2)); then
      show_log_since "$offset"
      kill "$pid" 2>/dev/null || true
      die "dockerd (pid $pid) did not answer on $DOCKER_SOCK within ${DOCKERD_TIMEOUT}s; stopped it"
    fi
    # The daemon exited: see whether a known fallback applies.
    # (Only error lines: info lines always mention overlay snapshotters.)
    local errors
    errors=$(tail -c +"$((offset + 1))" "$DOCKERD_LOG" |
      grep -iE 'level=(error|fatal)|failed to start daemon|^error' || true)
    if [[ " ${flags[*]:-} " != *" --storage-driver=vfs "* ]] &&
      grep -qiE 'overlay|graphdriver|storage.driver|driver not supported' <<<"$errors"; then
      log "engine: dockerd exited with a storage-driver error; retrying with --storage-driver=vfs"
      flags+=(--storage-driver=vfs)
      continue
    fi
    if [[ " ${flags[*]:-} " != *" --iptables=false "* ]] &&
      grep -qiE 'iptables|nat chain|netfilter' <<<"$errors"; then
      log "engine: dockerd exited with an iptables error; retrying with --iptables=false"
      flags+=(--iptables=false)
      continue
    fi
    show_log_since "$offset"
    die "dockerd exited before answering on $DOCKER_SOCK (see log above)"
  done
}

# Live restore keeps containers running while dockerd restarts; the engine-restart integration test needs
# it. It is one of dockerd's reloadable options: set it in daemon.json and send SIGHUP.
DAEMON_JSON=/etc/docker/daemon.json

live_restore_on() { [[ $(docker_ info -f '{{.LiveRestoreEnabled}}' 2>/dev/null) == true ]]; }

enable_live_restore() {
  if live_restore_on; then
    log "engine: live restore on"
    return 0
  fi
  mkdir -p "$(dirname "$DAEMON_JSON")"
  python3 - "$DAEMON_JSON" <<'PY'
import json, os, sys
path = sys.argv[1]
config = {}
if os.path.exists(path) and os.path.getsize(path) > 0:
    with open(path) as f:
        config = json.load(f)
config["live-restore"] = True
with open(path + ".tmp", "w") as f:
    json.dump(config, f, indent=2)
    f.write("\n")
os.replace(path + ".tmp", path)
PY
  local pid deadline=$((SECONDS + 30))
  pid=$(dockerd_pid_running) || die "cannot find dockerd's pid to reload $DAEMON_JSON; restart dockerd by hand"
  log "engine: turning on live restore ($DAEMON_JSON, SIGHUP to pid $pid)"
  kill -HUP "$pid"
  until live_restore_on; do
    ((SECONDS < deadline)) || die "dockerd did not turn on live restore after SIGHUP; see $DOCKERD_LOG"
    sleep 0.2
  done
}

# Restarts the engine (SIGTERM, then the same start as above); with live restore, containers keep running.
# Used by the engine-restart integration test: `bash scripts/test-env.sh restart-engine`.
restart_engine() {
  local pid deadline=$((SECONDS + 60))
  live_restore_on || die "live restore is off: run scripts/test-env.sh first"
  pid=$(dockerd_pid_running) || die "no dockerd pid in /var/run/docker.pid"
  if [[ -d /run/systemd/system ]] && systemctl is-active --quiet docker.service; then
    systemctl restart docker.service
  else
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null; do
      ((SECONDS < deadline)) || die "dockerd pid $pid did not stop within 60s"
      sleep 0.1
    done
    start_engine
  fi
  wait_engine "" || die "dockerd did not answer after the restart"
  log "engine: restarted (live restore kept the containers)"
}

# ------------------------------------------------------------------ images ---

BUSYBOX_BIN=""

find_busybox() {
  local p
  for p in $(dpkg-query -L busybox-static 2>/dev/null | grep -E '/s?bin/busybox$' || true) /bin/busybox; do
    if [[ -x $p ]]; then
      BUSYBOX_BIN=$p
      break
    fi
  done
  [[ -n $BUSYBOX_BIN ]] || die "static busybox binary not found (busybox-static installed?)"
}

# make_rootfs DIR [with-fake-model]
make_rootfs() {
  local root=$1 applet
  (
    umask 022
    mkdir -p "$root"/{bin,etc,tmp,root,dev,proc,sys}
    install -m 0755 "$BUSYBOX_BIN" "$root/bin/busybox"
    while read -r applet; do
      [[ -z $applet || $applet == busybox || $applet == */* ]] && continue
      ln -sf busybox "$root/bin/$applet"
    done < <("$BUSYBOX_BIN" --list)
    chmod 1777 "$root/tmp"
    chmod 0700 "$root/root"
    printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
      >"$root/etc/passwd"
    printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$root/etc/group"
    chmod 0644 "$root/etc/passwd" "$root/etc/group"
    if [[ ${2:-} == with-fake-model ]]; then
      mkdir -p "$root/usr/local/bin"
      install -m 0755 "$FAKE_MODEL_SRC" "$root/usr/local/bin/fake-model"
    fi
    if [[ ${2:-} == with-fake-cosmos ]]; then
      add_python "$root"
      mkdir -p "$root/opt/fake-cosmos" "$root/workspace" "$root/workspace-2.5" "$root/usr/local/bin"
      install -m 0644 "$FAKE_COSMOS_SRC/fake_cosmos.py" "$root/opt/fake-cosmos/fake_cosmos.py"
      cp -r "$FAKE_COSMOS_SRC/transfer1/." "$root/workspace/"
      cp -r "$FAKE_COSMOS_SRC/transfer2.5/." "$root/workspace-2.5/"
      install -m 0755 "$FAKE_COSMOS_SRC/bin/torchrun" "$root/usr/local/bin/torchrun"
      chmod -R a+rX "$root/opt" "$root/workspace" "$root/workspace-2.5"
    fi
  )
}

# add_python ROOT: Debian's python3.11 with its standard library (no tests, no caches) and the shared
# libraries it and its extension modules load, at the paths the dynamic loader looks in.
add_python() {
  local root=$1 stdlib=/usr/lib/python3.11 lib
  [[ -x $PYTHON_BIN ]] || die "$PYTHON_BIN not found (Debian's python3 package)"
  mkdir -p "$root/usr/bin" "$root/usr/lib"
  install -m 0755 "$PYTHON_BIN" "$root/usr/bin/python3.11"
  ln -sf python3.11 "$root/usr/bin/python3"
  ln -sf ../../bin/busybox "$root/usr/bin/env" # for `#!/usr/bin/env python3`
  tar -C /usr/lib --exclude='__pycache__' --exclude='python3.11/test' --exclude='python3.11/idlelib' \
    --exclude='python3.11/tkinter' --exclude='python3.11/ensurepip' --exclude='python3.11/lib2to3' \
    --exclude='python3.11/site-packages' --exclude='python3.11/dist-packages' -cf - python3.11 |
    tar -C "$root/usr/lib" -xf -
  for lib in $(
    { ldd "$PYTHON_BIN"; for so in "$stdlib"/lib-dynload/*.so; do ldd "$so" 2>/dev/null || true; done; } |
      grep -oE '/[^ ]+\.so[^ ]*' | sort -u
  ); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

# Deterministic tar: same content -> same bytes -> same hash.
make_tar() { # DIR OUT.tar
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu \
    -C "$1" -cf "$2" .
}

# Content hash of everything an image is made of: the build recipe (the code of
# make_rootfs/make_tar), the busybox binary, the fake-model script (if
# included) and the --change directives. Computed without building anything,
# so a warm run is cheap.
image_hash() { # VARIANT CHANGE...
  local variant=$1
  shift
  {
    echo "recipe=$RECIPE_VERSION variant=$variant"
    declare -f make_rootfs make_tar
    printf 'change=%s\n' "$@"
    sha256sum <"$BUSYBOX_BIN"
    "$BUSYBOX_BIN" --list
    [[ $variant == with-fake-model ]] && sha256sum <"$FAKE_MODEL_SRC"
    if [[ $variant == with-fake-cosmos ]]; then
      declare -f add_python
      sha256sum "$PYTHON_BIN"
      dpkg-query -W libpython3.11-stdlib python3.11-minimal 2>/dev/null || true
      (cd "$FAKE_COSMOS_SRC" && find . -type f | LC_ALL=C sort | xargs sha256sum)
    fi
    true
  } | sha256sum | cut -c1-64
}

# ensure_image NAME VARIANT CHANGE...   (VARIANT: plain | with-fake-model | with-fake-cosmos)
ensure_image() {
  local name=$1 variant=$2
  shift 2
  local changes=("$@") hash current old_id new_id args=() c out
  hash=$(image_hash "$variant" "${changes[@]}")
  current=$(docker_ image inspect -f "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$name" 2>/dev/null || true)
  if [[ $current == "$hash" ]]; then
    log "image $name: up to date (${hash:0:12})"
    return 0
  fi
  old_id=$(docker_ image inspect -f '{{.Id}}' "$name" 2>/dev/null || true)
  log "image $name: building (${hash:0:12})${old_id:+, replacing ${old_id:7:12}}"
  [[ -n $WORK ]] || WORK=$(mktemp -d /tmp/cosmos-test-env.XXXXXX)
  make_rootfs "$WORK/$variant" "$variant"
  make_tar "$WORK/$variant" "$WORK/$variant.tar"
  for c in "${changes[@]}" "LABEL $HASH_LABEL=$hash"; do args+=(--change "$c"); done
  docker_ import "${args[@]}" "$WORK/$variant.tar" "$name" >/dev/null ||
    die "docker import of $name failed"
  current=$(docker_ image inspect -f "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$name" 2>/dev/null || true)
  [[ $current == "$hash" ]] || die "image $name: label $HASH_LABEL is '$current' after import, expected $hash"
  new_id=$(docker_ image inspect -f '{{.Id}}' "$name")
  if [[ -n $old_id && $old_id != "$new_id" ]]; then
    # The previous build is dangling now; drop it unless a container still uses it.
    docker_ image rm "$old_id" >/dev/null 2>&1 || true
  fi
  # Smoke test (only after a rebuild): busybox must run in the otherwise empty
  # root fs, i.e. it must be the static one.
  out=$(docker_ run --rm --network none --entrypoint /bin/sh "$name" -c 'echo smoke-ok' 2>&1) || true
  [[ $out == smoke-ok ]] || die "image $name: smoke test failed: $out"
}

build_images() {
  [[ -f $FAKE_MODEL_SRC ]] || die "missing $FAKE_MODEL_SRC"
  find_busybox
  local env='ENV PATH=/usr/local/bin:/bin'
  ensure_image "$IMAGE_BUSYBOX" plain "$env" 'CMD ["/bin/sh"]'
  ensure_image "$IMAGE_FAKE_MODEL" with-fake-model "$env" 'CMD ["/usr/local/bin/fake-model"]'
  $FOR_RUN && return 0
  ensure_image "$IMAGE_FAKE_COSMOS" with-fake-cosmos 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    'ENV PYTHONDONTWRITEBYTECODE=1' 'WORKDIR /workspace' 'CMD ["/bin/sh"]'
  out=$(docker_ run --rm --network none "$IMAGE_FAKE_COSMOS" python3 -c 'import json, subprocess, argparse; print("py-ok")' 2>&1) ||
    true
  [[ $out == py-ok ]] || die "image $IMAGE_FAKE_COSMOS: python3 does not run: $out"
}

# -------------------------------------------------------------------- main ---

if [[ ${1:-} == restart-engine ]]; then
  restart_engine
  exit 0
fi

FOR_RUN=false
[[ ${1:-} == --for-run ]] && FOR_RUN=true
$FOR_RUN || PACKAGES+=("${TEST_PACKAGES[@]}")

install_packages
command -v docker >/dev/null || die "docker CLI not found (docker.io provides /usr/bin/docker)"
start_engine
if $FOR_RUN; then
  # The run command never changes the engine's configuration; live restore is a recommendation (README).
  live_restore_on || log "engine: live restore is off; cosmos-worker works without it (see README, Running under systemd)"
else
  enable_live_restore
fi
build_images

server=$(docker_ version -f '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null || echo '?')
driver=$(docker_ info -f '{{.Driver}}, cgroup {{.CgroupVersion}} {{.CgroupDriver}}' 2>/dev/null || echo '?')
echo "test-env ready in $((SECONDS - T0))s"
echo "  engine : $server, $driver, socket $DOCKER_SOCK"
images=("$IMAGE_BUSYBOX" "$IMAGE_FAKE_MODEL")
$FOR_RUN || images+=("$IMAGE_FAKE_COSMOS")
for img in "${images[@]}"; do
  docker_ image inspect -f "  image  : $img {{ printf \"%.19s\" .Id }} hash={{ printf \"%.12s\" (index .Config.Labels \"$HASH_LABEL\") }} {{.Size}} bytes" "$img"
done
