# shellcheck shell=bash
# Helpers of scripts/systemd-e2e.sh (sourced). Expects CONTAINER, UNIT, SUITE, VARIANT, INCLUDE, IMAGE,
# CACHE_DIR, RECIPE_VERSION and WORK to be set by the caller.

PASSED=0
FAILED=0
RESULTS=()

note() { printf '[systemd-e2e] %s\n' "$*" >&2; }
step() { printf '[systemd-e2e] == %s\n' "$*" >&2; }
die() {
    printf '[systemd-e2e] ERROR: %s\n' "$*" >&2
    exit 1
}

pass() { # NAME OBSERVATION
    PASSED=$((PASSED + 1))
    RESULTS+=("PASS $1")
    printf 'PASS %s: %s\n' "$1" "$2"
}
fail() { # NAME OBSERVATION
    FAILED=$((FAILED + 1))
    RESULTS+=("FAIL $1")
    printf 'FAIL %s: %s\n' "$1" "$2"
}

# Prints the summary line and exits: 0 only if nothing failed (and something ran).
finish() {
    printf '%s\n' "${RESULTS[@]}" | paste -sd ' ' >&2
    printf 'systemd-e2e: %d passed, %d failed\n' "$PASSED" "$FAILED"
    ((FAILED == 0 && PASSED > 0))
    exit $?
}

# A command in the container; in_ci also passes standard input (for `... | in_ci sh -c 'cat > FILE'`).
in_c() { docker exec "$CONTAINER" "$@"; }
in_ci() { docker exec -i "$CONTAINER" "$@"; }

# wait_for SECONDS COMMAND...: polls COMMAND every 0.5 s until it succeeds (0) or the deadline passes (1).
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    while :; do
        "$@" && return 0
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
}

# holds_for SECONDS COMMAND...: 0 if COMMAND keeps succeeding for the whole window (polled every 0.5 s),
# 1 as soon as it fails.
holds_for() {
    local deadline=$((SECONDS + $1))
    shift
    while ((SECONDS < deadline)); do
        "$@" || return 1
        sleep 0.5
    done
    "$@"
}

unit_prop_of() { in_c systemctl show -p "$2" --value "$1" 2>/dev/null; } # UNIT PROPERTY
unit_prop() { unit_prop_of "$UNIT.service" "$1"; }                        # PROPERTY (of the service)

# write_dropin NAME LINE...: /etc/systemd/system/$UNIT.service.d/NAME.conf with a [Service] section.
write_dropin() {
    local name=$1
    shift
    in_c mkdir -p "/etc/systemd/system/$UNIT.service.d"
    printf '%s\n' "# systemd-e2e test drop-in" "[Service]" "$@" |
        in_ci sh -c "cat > /etc/systemd/system/$UNIT.service.d/$name.conf"
}

# The last N lines of the service's journal, on one line.
journal_tail() {
    in_c journalctl -u "$UNIT.service" --no-pager -o cat -n "${1:-3}" 2>/dev/null | tr '\n' '|' | cut -c1-400
}

# The daemon's own last warning or error in the journal (else its last line), on one line.
daemon_last_error() {
    local line
    line=$(in_c journalctl -u "$UNIT.service" _COMM=cosmos-worker -p warning -n 1 -o cat --no-pager 2>/dev/null)
    [[ -n $line ]] || line=$(in_c journalctl -u "$UNIT.service" _COMM=cosmos-worker -n 1 -o cat --no-pager 2>/dev/null)
    echo "daemon said: ${line:-nothing}" | tr '\n' ' ' | cut -c1-400
}

# How the main process last ended, e.g. "main exited: code=killed status=1".
main_exit() {
    echo "main exited: code=$(unit_prop ExecMainCode | sed 's/^1$/exited/; s/^2$/killed/; s/^3$/dumped/') status=$(unit_prop ExecMainStatus)"
}

daemon_answers() { in_c timeout 5 cosmosctl status >/dev/null 2>&1; }

# status_field KEY: a top-level value of `cosmosctl status --json` ("?" when it does not answer).
status_field() {
    in_c timeout 10 cosmosctl status --json 2>/dev/null | python3 -c '
import json, sys
try:
    value = json.load(sys.stdin).get(sys.argv[1])
except Exception:
    value = "?"
print("" if value is None else value)' "$1"
}

# job_field ID KEY: a value of `cosmosctl show ID --json` ("?" when it does not answer).
job_field() {
    in_c timeout 10 cosmosctl show "$1" --json 2>/dev/null | python3 -c '
import json, sys
try:
    value = json.load(sys.stdin).get(sys.argv[1])
except Exception:
    value = "?"
print("" if value is None else value)' "$2"
}

# count_creates JOB_ID SINCE_EPOCH: containers the host's engine created for the job since then.
# (Whole seconds: the window is widened by one second each side, and `--until` in the near future makes
# docker events wait for it, so an event of the current second is not missed.)
count_creates() {
    docker events --since "$(($2 - 1))" --until "$(($(date +%s) + 1))" --filter type=container --filter event=create \
        --filter "label=cosmos.job=$1" --format '{{.Actor.ID}}' 2>/dev/null | wc -l
}

# ---------------------------------------------------------------- the image ---

# The Debian mirror apt uses on this machine (deb822 or one-line sources), else deb.debian.org.
detect_mirror() {
    if [[ -n ${COSMOS_E2E_MIRROR:-} ]]; then
        echo "$COSMOS_E2E_MIRROR"
        return
    fi
    local uri
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        grep -v '^[[:space:]]*#' | grep -oE 'https?://[^[:space:]]+' | grep -E '/debian/?$' | head -n 1 || true)
    echo "${uri:-http://deb.debian.org/debian}"
}

# What the debootstrapped tree gets before it is packed (part of the cache key).
customize_rootfs() { # ROOT
    local root=$1
    # Empty: systemd makes a transient machine id at every boot (the image is shared by all runs).
    : >"$root/etc/machine-id"
    rm -f "$root/var/lib/dbus/machine-id"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    rm -f "$root/etc/hostname"
}

rootfs_key() {
    {
        echo "recipe=$RECIPE_VERSION suite=$SUITE variant=$VARIANT include=$INCLUDE arch=$(dpkg --print-architecture)"
        declare -f customize_rootfs
    } | sha256sum | cut -c1-64
}

# Builds (or reuses) the systemd image: image label -> cached tarball -> debootstrap.
ensure_systemd_image() {
    local key tarball current mirror root ext=gz compress=(gzip -1) decompress=(gzip -dc)
    key=$(rootfs_key)
    current=$(docker image inspect -f '{{ index .Config.Labels "cosmos.test.hash" }}' "$IMAGE" 2>/dev/null || true)
    if [[ $current == "$key" ]]; then
        note "image $IMAGE: up to date (${key:0:12})"
        return 0
    fi
    if command -v zstd >/dev/null; then
        ext=zst
        compress=(zstd -q -T0 -3)
        decompress=(zstd -q -dc)
    fi
    mkdir -p "$CACHE_DIR"
    tarball=$CACHE_DIR/rootfs-$SUITE-$VARIANT-${key:0:16}.tar.$ext
    # Concurrent runs build the root fs once.
    exec 8>"$CACHE_DIR/.lock"
    flock -w 1200 8 || die "timed out waiting for $CACHE_DIR/.lock"
    if [[ ! -s $tarball ]]; then
        if ! command -v debootstrap >/dev/null; then
            note "installing debootstrap"
            DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 install --no-install-recommends \
                debootstrap >"$WORK/apt.log" 2>&1 || {
                apt-get -q update >>"$WORK/apt.log" 2>&1
                DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 install \
                    --no-install-recommends debootstrap >>"$WORK/apt.log" 2>&1
            } || die "could not install debootstrap: $(tail -n 3 "$WORK/apt.log")"
        fi
        mirror=$(detect_mirror)
        root=$WORK/rootfs
        note "debootstrap --variant=$VARIANT --include=$INCLUDE $SUITE from $mirror"
        local t=$SECONDS
        if ! debootstrap --variant="$VARIANT" --include="$INCLUDE" "$SUITE" "$root" "$mirror" \
            >"$WORK/debootstrap.log" 2>&1; then
            tail -n 20 "$WORK/debootstrap.log" >&2
            [[ -f $root/debootstrap/debootstrap.log ]] && tail -n 20 "$root/debootstrap/debootstrap.log" >&2
            die "debootstrap failed (log above)"
        fi
        note "debootstrap took $((SECONDS - t))s"
        customize_rootfs "$root"
        tar --numeric-owner --xattrs -C "$root" -cf - . | "${compress[@]}" >"$tarball.tmp" ||
            die "packing the root fs failed"
        mv -f "$tarball.tmp" "$tarball"
        rm -rf "$root"
        # Older tarballs of other keys are of no use any more.
        find "$CACHE_DIR" -maxdepth 1 -name "rootfs-$SUITE-*" ! -name "$(basename "$tarball")" -delete
        note "cached $(du -h "$tarball" | cut -f1) at $tarball"
    else
        note "root fs from cache: $tarball"
    fi
    "${decompress[@]}" "$tarball" | docker import \
        --change 'CMD ["/sbin/init"]' --change 'ENV container=docker' \
        --change "LABEL cosmos.test.hash=$key" - "$IMAGE" >/dev/null || die "docker import failed"
    flock -u 8
    current=$(docker image inspect -f '{{ index .Config.Labels "cosmos.test.hash" }}' "$IMAGE" 2>/dev/null || true)
    [[ $current == "$key" ]] || die "image $IMAGE has label '$current' after import, expected $key"
    # The replaced image, if any, is dangling now.
    docker image prune -f --filter "label=cosmos.test.hash" >/dev/null 2>&1 || true
}
