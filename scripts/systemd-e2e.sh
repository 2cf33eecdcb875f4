#!/usr/bin/env bash
# scripts/systemd-e2e.sh — cosmos-worker under a real systemd, end to end.
#
# Boots Debian 12 with systemd as PID 1 in a container (the host's dockerd, no --privileged), installs the
# binaries with scripts/install.sh, and checks the units in systemd/ for real: Type=notify start and
# STATUS=, a job on the host's engine, the unit's (absent) capabilities and staging, journald fields, the watchdog with job adoption, reload (valid and
# invalid), stop within TimeoutStopSec, socket activation, the maintenance unit, uninstall; and the unit's
# `systemd-analyze security` score. Each check prints PASS or FAIL with what it observed; the last line is
#   systemd-e2e: N passed, M failed
# and the exit status is non-zero if any failed. The container (and the job containers it made) are removed
# on exit, whatever happens.
#
# Usage (root): bash scripts/systemd-e2e.sh [--bin-dir DIR] [--keep] [--skip-test-env]
#   --bin-dir DIR     take cosmos-worker and cosmosctl from DIR (built with --static-swift-stdlib, debug or
#                     release) instead of building them (env COSMOS_E2E_BIN_DIR). without it the script
#                     builds a debug static-stdlib pair in .build-static (minutes cold, seconds warm).
#   --keep            leave the container running for a look inside (docker exec -it NAME bash)
#   --skip-test-env   do not run scripts/test-env.sh (engine and cosmos-test images must be there already)
#
# Caches (between runs): the debootstrapped root fs as a tarball in $COSMOS_E2E_CACHE (default
# /var/cache/cosmos-worker-e2e), keyed by suite, variant and package list, and the image
# cosmos-test/systemd:bookworm (label cosmos.test.hash). Mirror: $COSMOS_E2E_MIRROR, else the Debian URI
# apt uses here, else http://deb.debian.org/debian. Helpers live in scripts/systemd-e2e/.
#
# shellcheck disable=SC2329  # the check functions are called through wait_for/holds_for
set -Euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
HELPERS=$SCRIPT_DIR/systemd-e2e
# shellcheck source=systemd-e2e/lib.sh
source "$HELPERS/lib.sh"

BIN_DIR=${COSMOS_E2E_BIN_DIR:-}
KEEP=0
RUN_TEST_ENV=1
while (($#)); do
    case $1 in
        --bin-dir) BIN_DIR=${2:?--bin-dir needs a directory}; shift 2 ;;
        --bin-dir=*) BIN_DIR=${1#*=}; shift ;;
        --keep) KEEP=1; shift ;;
        --skip-test-env) RUN_TEST_ENV=0; shift ;;
        -h | --help) sed -n '2,/^set -Euo/p' "${BASH_SOURCE[0]}" | sed '/shellcheck/d; $d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option: $1 (see --help)" ;;
    esac
done
[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, docker)"

T_START=$SECONDS
SUITE=bookworm
VARIANT=minbase
# systemd as PID 1 with D-Bus (systemctl talks to it), the libraries the binaries load (libsqlite3; libsystemd
# comes with systemd), CA certificates for TLS engines, procps for the unit's /bin/kill, and sqlite3 for the
# maintenance unit's integrity check.
INCLUDE=systemd,systemd-sysv,dbus,libsqlite3-0,ca-certificates,procps,sqlite3
IMAGE=cosmos-test/systemd:bookworm
JOB_IMAGE=cosmos-test/busybox:latest
CACHE_DIR=${COSMOS_E2E_CACHE:-/var/cache/cosmos-worker-e2e}
RECIPE_VERSION=1
CONTAINER=cosmos-e2e-$$-$RANDOM
UNIT=cosmos-worker
SOCKET=/run/cosmos-worker/cosmos.sock
TIMEOUT_STOP=15

WORK=$(mktemp -d /tmp/cosmos-e2e.XXXXXX)
JOB_IDS=()
cleanup() {
    local rc=$?
    if [[ -n ${CONTAINER_STARTED:-} ]]; then
        if ((KEEP)); then
            note "kept container $CONTAINER (docker rm -f $CONTAINER when done)"
        else
            docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
        fi
    fi
    # Job containers the daemon made on the host's engine.
    if ((!KEEP)) && ((${#JOB_IDS[@]})); then
        local id ids
        for id in "${JOB_IDS[@]}"; do
            mapfile -t ids < <(docker ps -aq --filter "label=cosmos.job=$id" 2>/dev/null || true)
            ((${#ids[@]} == 0)) || docker rm -f "${ids[@]}" >/dev/null 2>&1 || true
        done
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ prepare ---

if ((RUN_TEST_ENV)); then
    step "test environment (engine, test images)"
    bash "$REPO/scripts/test-env.sh" >"$WORK/test-env.log" 2>&1 || {
        tail -n 30 "$WORK/test-env.log" >&2
        die "scripts/test-env.sh failed"
    }
fi
docker image inspect "$JOB_IMAGE" >/dev/null 2>&1 || die "image $JOB_IMAGE is missing (run scripts/test-env.sh)"

if [[ -z $BIN_DIR ]]; then
    # Debug with the Swift runtime linked in, in its own build folder: a static-stdlib build compiles some
    # modules differently, and sharing .build would leave objects the dynamic test build cannot link.
    # (A release build takes half an hour on two cores; scripts/install.sh makes that one.)
    step "binaries (swift build --static-swift-stdlib --scratch-path .build-static)"
    t=$SECONDS
    # A debug static link can name Foundation's archives in an order ld cannot resolve; one group fixes it.
    group=(-Xlinker --start-group)
    for lib in Foundation CoreFoundation FoundationInternationalization _FoundationICU FoundationEssentials \
        _FoundationCollections _FoundationCShims; do
        group+=(-Xlinker "-l$lib")
    done
    group+=(-Xlinker --end-group)
    build=(swift build --static-swift-stdlib --scratch-path "$REPO/.build-static" "${group[@]}")
    for product in cosmos-worker cosmosctl; do
        (cd "$REPO" && "${build[@]}" --product "$product") >"$WORK/build.log" 2>&1 || {
            tail -n 40 "$WORK/build.log" >&2
            die "building $product failed"
        }
    done
    BIN_DIR=$(cd "$REPO" && "${build[@]}" --show-bin-path)
    note "built in $((SECONDS - t))s: $BIN_DIR"
fi
for product in cosmos-worker cosmosctl; do
    [[ -x $BIN_DIR/$product ]] || die "$BIN_DIR/$product is missing"
done

step "image $IMAGE"
t=$SECONDS
ensure_systemd_image
note "image ready in $((SECONDS - t))s"

# -------------------------------------------------------------------- boot ---

step "booting systemd in container $CONTAINER"
t=$SECONDS
CONTAINER_STARTED=1
docker run -d --name "$CONTAINER" \
    --cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined \
    --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
    --tmpfs /run --tmpfs /run/lock --stop-signal SIGRTMIN+3 \
    -v /var/run/docker.sock:/var/run/docker.sock \
    "$IMAGE" /sbin/init >/dev/null || die "docker run failed"

state=""
boot_state() {
    state=$(in_c systemctl is-system-running 2>/dev/null) || true
    [[ $state == running || $state == degraded ]]
}
if wait_for 90 boot_state; then
    if [[ $state == running ]]; then
        pass "boot" "systemctl is-system-running: running after $((SECONDS - t))s"
    else
        # Degraded still runs services; the failed units are listed so an image change can mask them.
        failed_units=$(in_c systemctl --failed --plain --no-legend | awk '{print $1}' | tr '\n' ' ')
        pass "boot" "degraded after $((SECONDS - t))s (failed units: $failed_units); services run, continuing"
    fi
else
    fail "boot" "is-system-running still '${state:-no answer}' after 90s"
    docker logs "$CONTAINER" 2>&1 | tail -n 20 >&2
    finish
fi

# ------------------------------------------------------------------ install ---

step "install (scripts/install.sh --no-build)"
# The docker group inside must have the gid of the bind-mounted socket, so that user cosmos can use it.
SOCK_GID=$(stat -c %g /var/run/docker.sock)
in_c sh -c "
    if getent group docker >/dev/null; then groupmod --non-unique --gid $SOCK_GID docker
    else groupadd --non-unique --gid $SOCK_GID docker; fi" || die "could not create group docker ($SOCK_GID)"
in_c mkdir -p /tmp/cosmos-src/bin /tmp/cosmos-src/scripts /tmp/cosmos-src/etc/cosmos-worker
docker cp "$BIN_DIR/cosmos-worker" "$CONTAINER:/tmp/cosmos-src/bin/cosmos-worker" >/dev/null
docker cp "$BIN_DIR/cosmosctl" "$CONTAINER:/tmp/cosmos-src/bin/cosmosctl" >/dev/null
docker cp "$REPO/scripts/install.sh" "$CONTAINER:/tmp/cosmos-src/scripts/install.sh" >/dev/null
docker cp "$REPO/scripts/uninstall.sh" "$CONTAINER:/tmp/cosmos-src/scripts/uninstall.sh" >/dev/null
docker cp "$REPO/systemd" "$CONTAINER:/tmp/cosmos-src/systemd" >/dev/null
docker cp "$REPO/etc/cosmos-worker/config.toml" "$CONTAINER:/tmp/cosmos-src/etc/cosmos-worker/config.toml" >/dev/null
docker cp "$REPO/etc/cron.d" "$CONTAINER:/tmp/cosmos-src/etc/cron.d" >/dev/null
docker cp "$REPO/README.md" "$CONTAINER:/tmp/cosmos-src/README.md" >/dev/null
if out=$(in_c bash /tmp/cosmos-src/scripts/install.sh --no-build /tmp/cosmos-src/bin 2>&1); then
    missing=$(in_c sh -c 'ldd /usr/local/bin/cosmos-worker /usr/local/bin/cosmosctl 2>/dev/null | grep "not found"' || true)
    groups=$(in_c id -nG cosmos 2>&1)
    if [[ -n $missing ]]; then
        fail "install" "libraries missing in the image: $missing"
    elif [[ " $groups " != *" docker "* ]]; then
        fail "install" "user cosmos is not in group docker (groups: $groups)"
    elif ! in_c test -f /etc/cosmos-worker/config.toml; then
        fail "install" "no /etc/cosmos-worker/config.toml"
    else
        pass "install" "binaries, units, config installed; cosmos in groups: $groups"
    fi
else
    fail "install" "install.sh failed: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
    finish
fi

# Test configuration: the test images are allowed, two GPU slots in env mode (no GPUs here).
write_config() { # POLICY [EXTRA_DAEMON_LINE]
    in_ci sh -c 'cat > /etc/cosmos-worker/config.toml && chgrp cosmos /etc/cosmos-worker/config.toml &&
        chmod 0640 /etc/cosmos-worker/config.toml' <<EOF
# systemd-e2e test configuration
[daemon]
socket = "$SOCKET"
state_dir = "/var/lib/cosmos-worker"
policy = "$1"
durable_commits = false
log_level = "info"
${2:-}

[images]
allow = ["cosmos-test/*"]

[[hosts]]
name = "local"
docker = "unix:///var/run/docker.sock"
gpus = 2
gpu_mode = "env"
network = "none"
EOF
}
write_config backfill
# Test drop-in: a short watchdog so the watchdog check takes seconds, and no core dumps.
write_dropin 50-e2e "WatchdogSec=5" "LimitCORE=0"
in_c systemctl daemon-reload

# -------------------------------------------------------------------- checks ---

FALLBACK=0 # 1: the daemon sent no READY=1, the remaining checks run with Type=simple

# 1. Type=notify start: `active` only after READY=1.
step "start"
t=$SECONDS
in_c systemctl start --no-block "$UNIT"
active_state=""
is_active() {
    active_state=$(unit_prop ActiveState)
    [[ $active_state == active || $active_state == failed || $active_state == inactive ]]
}
if wait_for 45 is_active && [[ $active_state == active ]]; then
    pass "start" "systemctl start $UNIT: active after $((SECONDS - t))s (READY=1 received)"
else
    fail "start" "after $((SECONDS - t))s ActiveState=$active_state SubState=$(unit_prop SubState)$(
        [[ $active_state == activating ]] && echo ' (no READY=1 yet)'); $(daemon_last_error)"
    # Go on with Type=simple, so that the checks after this one still tell something.
    FALLBACK=1
    note "fallback: Type=simple and WatchdogSec=0 for the remaining checks (the daemon sends no READY=1)"
    write_dropin 60-e2e-fallback "Type=simple" "WatchdogSec=0"
    in_c systemctl daemon-reload
    in_c systemctl stop "$UNIT" >/dev/null 2>&1 || true
    in_c systemctl reset-failed "$UNIT" >/dev/null 2>&1 || true
    in_c systemctl start "$UNIT" || true
    wait_for 30 daemon_answers || note "fallback: the daemon does not answer cosmosctl status either"
fi
wait_for 30 daemon_answers || true

# 2. STATUS= shown by systemctl status.
step "status line"
status_text=""
has_status() {
    status_text=$(unit_prop StatusText)
    [[ -n $status_text ]]
}
if wait_for 10 has_status; then
    status_line=$(in_c systemctl status "$UNIT" --no-pager 2>/dev/null | grep -m1 'Status:' | sed 's/^ *//')
    pass "status-line" "systemctl status shows: ${status_line:-Status: \"$status_text\"}"
else
    fail "status-line" "no STATUS= received: StatusText empty, no 'Status:' line in systemctl status"
fi

# 3. A job submitted inside runs on the host's engine and succeeds.
step "job"
t0=$(date +%s)
JOB=""
if JOB=$(in_c cosmosctl submit --image "$JOB_IMAGE" --name e2e-hello -- sh -c 'echo hello from systemd-e2e' 2>&1) &&
    [[ $JOB =~ ^[A-Za-z0-9_-]+$ ]]; then
    JOB_IDS+=("$JOB")
    if in_c cosmosctl wait "$JOB" --timeout 90 >/dev/null 2>&1; then
        created=$(count_creates "$JOB" "$t0")
        logs=$(in_c cosmosctl logs "$JOB" 2>&1 | tr '\n' ' ')
        if ((created >= 1)); then
            pass "job" "job $JOB succeeded; $created container(s) created on the host engine; logs: $logs"
        else
            fail "job" "job $JOB succeeded but the host engine saw no container created with label cosmos.job=$JOB"
        fi
    else
        fail "job" "job $JOB did not succeed: $(job_field "$JOB" state) ($(job_field "$JOB" error))"
    fi
else
    fail "job" "cosmosctl submit failed: $JOB"
    JOB=""
fi

# 3b. Staging under the unit: the daemon runs as user cosmos with no capability, so `auto` keeps the archive
# (the job above ran that way) and says why.
step "staging"
staging_said() {
    in_c journalctl -u "$UNIT" -o json --no-pager 2>/dev/null |
        python3 "$HELPERS/journal_field.py" MESSAGE "resolved staging auto" STAGING archive \
            REASON "the daemon lacks CAP_DAC_OVERRIDE and CAP_FOWNER*" >"$WORK/staging.out"
}
main_pid=$(unit_prop MainPID)
cap_eff=$(in_c awk '/^CapEff:/ { print $2 }' "/proc/$main_pid/status" 2>/dev/null || true)
daemon_user=$(in_c ps -o user= -p "$main_pid" 2>/dev/null || true)
if [[ ! $cap_eff =~ ^[0-9a-f]+$ ]] || (((16#$cap_eff) != 0)); then
    fail "staging" "the daemon's CapEff is '${cap_eff:-unreadable}', not 0 (the unit grants no capability)"
elif [[ $daemon_user != cosmos ]]; then
    fail "staging" "the daemon runs as '${daemon_user:-?}', not cosmos"
elif wait_for 10 staging_said; then
    pass "staging" "user cosmos with CapEff $cap_eff; auto kept the archive: $(cat "$WORK/staging.out")"
else
    fail "staging" "no journal entry 'resolved staging auto' with STAGING=archive and the capability reason: $(in_c journalctl -u "$UNIT" --no-pager 2>/dev/null | grep -m2 'staging' | tr '\n' ' ')"
fi

# 4. The daemon's journal entries carry JOB_ID (native journal fields, not only text on stderr).
step "journal"
journal_has_job() {
    [[ -n $JOB ]] && in_c journalctl -u "$UNIT" -o json --no-pager 2>/dev/null |
        python3 "$HELPERS/journal_field.py" JOB_ID "$JOB" >"$WORK/journal.out"
}
if [[ -z $JOB ]]; then
    fail "journal" "no job to look for"
elif wait_for 10 journal_has_job; then
    pass "journal" "journalctl -u $UNIT -o json: $(cat "$WORK/journal.out")"
else
    transports=$(in_c journalctl -u "$UNIT" _COMM=cosmos-worker -o json --no-pager 2>/dev/null |
        python3 "$HELPERS/journal_field.py" --summary)
    fail "journal" "no entry with JOB_ID=$JOB; the daemon's own entries: $transports"
fi

# 4b. Audit: a pause by root and a refused cancel by another user are journal entries with AUDIT=1 and their fields.
step "audit"
COSMOS_GID=$(in_c getent group cosmos | cut -d: -f3)
in_c cosmosctl pause >/dev/null 2>&1
in_c cosmosctl resume >/dev/null 2>&1
refused_rc=0
refused=$(in_c setpriv --reuid=1002 --regid=1002 --groups="$COSMOS_GID" cosmosctl cancel "${JOB:-none}" 2>&1) || refused_rc=$?
audit_has() { # FIELD VALUE ...
    in_c journalctl -u "$UNIT" AUDIT=1 -o json --no-pager 2>/dev/null |
        python3 "$HELPERS/journal_field.py" "$@" >>"$WORK/audit.out"
}
if [[ -z $JOB ]]; then
    fail "audit" "no job to cancel"
elif ((refused_rc != 4)); then
    fail "audit" "uid 1002's cancel of $JOB exited $refused_rc, not 4: $refused"
elif wait_for 10 audit_has ACTION pause CALLER_UID 0 TARGET queue RESULT ok &&
    wait_for 10 audit_has ACTION cancel CALLER_UID 1002 TARGET "job $JOB" RESULT "refused: job $JOB belongs to uid 0*"; then
    pass "audit" "journalctl -u $UNIT AUDIT=1: $(tr '\n' ' ' <"$WORK/audit.out")"
else
    fail "audit" "missing audit entries; found: $(cat "$WORK/audit.out" 2>/dev/null); cancel said: $refused"
fi

# 5. Watchdog: a SIGSTOPped daemon is killed and restarted; its running job is adopted and runs once.
step "watchdog"
watchdog_check() {
    local job t0 restarts pid new_pid n state
    t0=$(date +%s)
    job=$(in_c cosmosctl submit --image "$JOB_IMAGE" --name e2e-watchdog -- sleep 40 2>&1) ||
        { fail "watchdog" "submit failed: $job"; return; }
    JOB_IDS+=("$job")
    job_running() { [[ $(job_field "$job" state) == running ]]; }
    wait_for 60 job_running || { fail "watchdog" "job $job never ran: $(job_field "$job" state)"; return; }
    restarts=$(unit_prop NRestarts)
    pid=$(unit_prop MainPID)
    # First: the daemon pings. Nothing may restart it for more than two watchdog periods.
    unchanged() { [[ $(unit_prop NRestarts) == "$restarts" && $(unit_prop MainPID) == "$pid" ]]; }
    if ! holds_for 12 unchanged; then
        fail "watchdog" "the watchdog fired although the daemon was not stopped (no WATCHDOG=1 pings within WatchdogSec=5): MainPID $pid -> $(unit_prop MainPID), $(unit_prop ActiveState)/$(unit_prop SubState), NRestarts $restarts -> $(unit_prop NRestarts); $(journal_tail 3)"
        return
    fi
    in_c kill -STOP "$pid"
    local t=$SECONDS
    restarted() {
        n=$(unit_prop NRestarts)
        new_pid=$(unit_prop MainPID)
        ((n > restarts)) && [[ $(unit_prop ActiveState) == active && $new_pid != "$pid" && $new_pid != 0 ]]
    }
    if ! wait_for 60 restarted; then
        fail "watchdog" "not restarted 60s after SIGSTOP (NRestarts $restarts -> $n, MainPID $pid -> $new_pid, $(unit_prop ActiveState))"
        in_c kill -CONT "$pid" 2>/dev/null || true
        return
    fi
    local restart_s=$((SECONDS - t))
    if ! in_c cosmosctl wait "$job" --timeout 120 >/dev/null 2>&1; then
        fail "watchdog" "restarted after ${restart_s}s, but job $job did not succeed: $(job_field "$job" state) attempts=$(job_field "$job" attempts) ($(job_field "$job" error) $(job_field "$job" reason))"
        return
    fi
    local created attempts
    created=$(count_creates "$job" "$t0")
    attempts=$(job_field "$job" attempts)
    if ((created == 1)); then
        pass "watchdog" "SIGSTOP -> killed and restarted after ${restart_s}s (NRestarts $restarts -> $n); job $job adopted, succeeded, 1 container created (attempts=$attempts)"
    else
        fail "watchdog" "restarted and job $job succeeded, but $created containers were created for it (attempts=$attempts)"
    fi
}
if ((FALLBACK)); then
    # Type=simple, but the watchdog itself is still there to test.
    write_dropin 70-e2e-watchdog "WatchdogSec=5"
    in_c systemctl daemon-reload
    in_c systemctl restart "$UNIT"
    wait_for 30 daemon_answers || true
fi
watchdog_check
if ((FALLBACK)); then
    in_c rm -f /etc/systemd/system/$UNIT.service.d/70-e2e-watchdog.conf
    in_c systemctl daemon-reload
    in_c systemctl reset-failed "$UNIT" >/dev/null 2>&1 || true
    in_c systemctl restart "$UNIT" || true
fi
wait_for 30 daemon_answers || true

# 6. systemctl reload applies a changed setting in the same process.
step "reload"
pid=$(unit_prop MainPID)
before=$(status_field policy)
write_config strict
reload_out=$(in_c timeout 30 systemctl reload "$UNIT" 2>&1)
reload_rc=$?
policy_strict() { [[ $(status_field policy) == strict ]]; }
if ((reload_rc != 0)); then
    fail "reload" "systemctl reload failed (rc $reload_rc): $reload_out; now $(unit_prop ActiveState), MainPID $pid -> $(unit_prop MainPID)"
elif wait_for 15 policy_strict && [[ $(unit_prop MainPID) == "$pid" ]]; then
    pass "reload" "policy $before -> strict in cosmosctl status --json, same MainPID $pid"
else
    fail "reload" "after reload: policy=$(status_field policy) (was $before), ActiveState=$(unit_prop ActiveState), MainPID $pid -> $(unit_prop MainPID), NRestarts=$(unit_prop NRestarts), $(main_exit); $(daemon_last_error)"
fi
in_c systemctl reset-failed "$UNIT" >/dev/null 2>&1 || true
[[ $(unit_prop ActiveState) == active ]] || in_c systemctl start "$UNIT" >/dev/null 2>&1 || true
wait_for 30 daemon_answers || true

# 7. An invalid configuration on reload keeps the service running with the old one.
step "reload-invalid"
pid=$(unit_prop MainPID)
before=$(status_field policy)
write_config sometimes
reload_out=$(in_c timeout 30 systemctl reload "$UNIT" 2>&1)
reload_rc=$?
same_process() { [[ $(unit_prop ActiveState) == active && $(unit_prop MainPID) == "$pid" ]]; }
if holds_for 5 same_process && daemon_answers; then
    pass "reload-invalid" "invalid policy refused: still active, MainPID $pid, policy $(status_field policy) (reload rc $reload_rc)"
else
    fail "reload-invalid" "ActiveState=$(unit_prop ActiveState) Result=$(unit_prop Result), MainPID $pid -> $(unit_prop MainPID), $(main_exit), reload rc $reload_rc; $(daemon_last_error)"
fi
write_config backfill
in_c systemctl reset-failed "$UNIT" >/dev/null 2>&1 || true
[[ $(unit_prop ActiveState) == active ]] || in_c systemctl start "$UNIT" >/dev/null 2>&1 || true
wait_for 30 daemon_answers || true

# 8. systemctl stop completes within TimeoutStopSec, without SIGKILL.
step "stop"
if [[ $(unit_prop ActiveState) != active ]]; then
    fail "stop" "service not active before the stop ($(unit_prop ActiveState))"
else
    t=$SECONDS
    in_c timeout $((TIMEOUT_STOP + 15)) systemctl stop "$UNIT"
    took=$((SECONDS - t))
    result=$(unit_prop Result)
    if ((took <= TIMEOUT_STOP)) && [[ $result == success && $(unit_prop ActiveState) == inactive ]]; then
        pass "stop" "stopped in ${took}s (TimeoutStopSec=$TIMEOUT_STOP), Result=success"
    else
        fail "stop" "took ${took}s, Result=$result, ActiveState=$(unit_prop ActiveState); $(journal_tail 2)"
    fi
fi

# 9. Socket activation: the first cosmosctl call starts the daemon.
step "socket activation"
in_c systemctl stop "$UNIT" >/dev/null 2>&1 || true
in_c systemctl reset-failed "$UNIT" >/dev/null 2>&1 || true
if ! in_c systemctl start "$UNIT.socket"; then
    fail "socket-activation" "systemctl start $UNIT.socket failed: $(in_c systemctl status "$UNIT.socket" --no-pager 2>&1 | tail -n 3)"
else
    sock=$(in_c stat -c '%U:%G %a' "$SOCKET" 2>&1)
    inode=$(in_c stat -c %i "$SOCKET" 2>&1)
    before_state=$(unit_prop ActiveState)
    t=$SECONDS
    out=$(in_c timeout 60 cosmosctl status 2>&1)
    rc=$?
    took=$((SECONDS - t))
    service_active() { [[ $(unit_prop ActiveState) == active ]]; }
    if ((rc == 0)) && [[ $before_state != active ]] && wait_for 10 service_active; then
        again=$(in_c timeout 20 cosmosctl status >/dev/null 2>&1 && echo ok || echo failed)
        inode_after=$(in_c stat -c %i "$SOCKET" 2>&1)
        if [[ $again == ok && $inode_after == "$inode" ]]; then
            pass "socket-activation" "socket $SOCKET ($sock); cosmosctl status answered in ${took}s, $UNIT.service $before_state -> active, second call ok, same socket inode (the daemon serves systemd's socket)"
        elif [[ $again == ok ]]; then
            fail "socket-activation" "answered, but the socket file was replaced (inode $inode -> $inode_after): the daemon bound its own socket instead of taking systemd's"
        else
            fail "socket-activation" "first cosmosctl status answered, the second failed; $(journal_tail 2)"
        fi
    else
        fail "socket-activation" "socket $SOCKET ($sock); cosmosctl status rc=$rc after ${took}s: $(head -c 200 <<<"$out" | tr '\n' ' '); service $before_state -> $(unit_prop ActiveState)/$(unit_prop SubState), $(main_exit); $(daemon_last_error); $(journal_tail 3)"
    fi
fi
in_c systemctl stop "$UNIT.socket" "$UNIT" >/dev/null 2>&1 || true

# 10. The maintenance unit runs `cosmosctl maintenance run` as cosmos against the running daemon and succeeds.
step "maintenance"
in_c systemctl start "$UNIT" >/dev/null 2>&1 || true
daemon_answers() { in_c cosmosctl status >/dev/null 2>&1; }
if ! wait_for 60 daemon_answers; then
    fail "maintenance" "the daemon did not answer after a start: $(journal_tail 3)"
elif out=$(in_c timeout 120 systemctl start cosmos-worker-maintenance.service 2>&1); then
    report=$(in_c journalctl -u cosmos-worker-maintenance.service --no-pager -o cat 2>/dev/null | tr '\n' ' ')
    if [[ $report == *"check: ok"* && $report == *"pruned: "* && $report == *"swept: "* ]]; then
        pass "maintenance" "cosmos-worker-maintenance.service: $report"
    elif [[ $(unit_prop_of cosmos-worker-maintenance.service ConditionResult) == no ]]; then
        fail "maintenance" "skipped: ConditionPathExists=/var/lib/cosmos-worker/cosmos.db is false (no database)"
    else
        fail "maintenance" "ran, but its journal has no 'pruned:', 'swept:' and 'check: ok' lines: ${report:-nothing}"
    fi
else
    fail "maintenance" "systemctl start cosmos-worker-maintenance.service: $out; $(in_c journalctl -u cosmos-worker-maintenance.service --no-pager -o cat -n 3 2>&1 | tr '\n' ' ')"
fi

# 11. The timer starts the maintenance unit and the unit ends successfully (a test drop-in fires it 2 s after
# the timer starts, with no random delay), and its daily schedule is valid.
step "maintenance-timer"
in_c mkdir -p /etc/systemd/system/cosmos-worker-maintenance.timer.d
in_ci sh -c 'cat >/etc/systemd/system/cosmos-worker-maintenance.timer.d/e2e.conf' <<'DROPIN'
[Timer]
OnActiveSec=2s
RandomizedDelaySec=0
AccuracySec=1s
DROPIN
in_c systemctl daemon-reload
runs_before=$(in_c journalctl -u cosmos-worker-maintenance.service --no-pager -o cat 2>/dev/null | grep -c '^check: ')
timer_ran() {
    local runs
    runs=$(in_c journalctl -u cosmos-worker-maintenance.service --no-pager -o cat 2>/dev/null | grep -c '^check: ')
    ((runs > runs_before)) && [[ $(unit_prop_of cosmos-worker-maintenance.service ActiveState) == inactive ]]
}
if ! out=$(in_c systemctl start cosmos-worker-maintenance.timer 2>&1); then
    fail "maintenance-timer" "systemctl start cosmos-worker-maintenance.timer: $out"
elif wait_for 60 timer_ran && [[ $(unit_prop_of cosmos-worker-maintenance.service Result) == success ]]; then
    pass "maintenance-timer" "the timer ran cosmos-worker-maintenance.service; Result=success; next run $(unit_prop_of cosmos-worker-maintenance.timer NextElapseUSecRealtime)"
else
    fail "maintenance-timer" "no successful run from the timer: Result=$(unit_prop_of cosmos-worker-maintenance.service Result), $(in_c journalctl -u cosmos-worker-maintenance.service --no-pager -o cat -n 3 2>&1 | tr '\n' ' ')"
fi
in_c rm -rf /etc/systemd/system/cosmos-worker-maintenance.timer.d
in_c systemctl daemon-reload
in_c systemctl stop cosmos-worker-maintenance.timer "$UNIT" >/dev/null 2>&1 || true

# 12. Uninstall keeps the state; --purge removes it.
step "uninstall"
in_c bash /tmp/cosmos-src/scripts/uninstall.sh >/dev/null 2>&1
if in_c test ! -e /usr/local/bin/cosmos-worker -a ! -e /etc/systemd/system/$UNIT.service &&
    in_c test -f /var/lib/cosmos-worker/cosmos.db; then
    in_c bash /tmp/cosmos-src/scripts/uninstall.sh --purge >/dev/null 2>&1
    if in_c test ! -e /var/lib/cosmos-worker && ! in_c getent passwd cosmos >/dev/null; then
        pass "uninstall" "binaries and units removed, state kept; --purge removed state and user"
    else
        fail "uninstall" "--purge left /var/lib/cosmos-worker or user cosmos"
    fi
else
    fail "uninstall" "after uninstall.sh: $(in_c ls -d /usr/local/bin/cosmos-worker /etc/systemd/system/$UNIT.service /var/lib/cosmos-worker/cosmos.db 2>&1 | tr '\n' ' ')"
fi

# 13. The unit's exposure score.
step "security score"
if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
    analyze=(systemd-analyze security --offline=true "$REPO/systemd/$UNIT.service")
    score_out=$("${analyze[@]}" 2>&1)
else
    # An older host: ask the systemd in the container (units copied in by the install step).
    score_out=$(in_c systemd-analyze security --offline=true "/tmp/cosmos-src/systemd/$UNIT.service" 2>&1)
fi
score=$(grep -o 'Overall exposure level for [^:]*: [0-9.]*' <<<"$score_out" | awk '{print $NF}')
if [[ -z $score ]]; then
    fail "security-score" "no score from systemd-analyze: $(tail -n 2 <<<"$score_out")"
elif awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
    pass "security-score" "systemd-analyze security --offline=true: $score (at most 2.0)"
else
    fail "security-score" "exposure $score is above 2.0"
fi

note "total time $((SECONDS - T_START))s"
finish
