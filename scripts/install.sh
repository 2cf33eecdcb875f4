#!/usr/bin/env bash
# scripts/install.sh — install cosmos-worker and cosmosctl as a systemd service.
#
#   sudo bash scripts/install.sh                     # build (release, static Swift stdlib) and install
#   sudo bash scripts/install.sh --no-build DIR      # install cosmos-worker and cosmosctl already built in DIR
#   bash scripts/install.sh --destdir /tmp/stage     # stage the files only (packaging): no user, no systemctl
#
# Installs
#   PREFIX/bin/cosmos-worker, PREFIX/bin/cosmosctl               (PREFIX: --prefix, default /usr/local)
#   /etc/systemd/system/cosmos-worker.{service,socket}
#   /etc/systemd/system/cosmos-worker-maintenance.{service,timer}
#   /etc/cosmos-worker/config.toml   from etc/cosmos-worker/config.toml, only if there is none (never overwritten)
#   /etc/cron.d/cosmos-worker-maintenance   only with --cron (machines without systemd timers)
#   PREFIX/share/doc/cosmos-worker/README.md
# and creates the system user and group `cosmos` (added to group docker if that group exists), then runs
# `systemctl daemon-reload` if systemd is running. It enables and starts nothing unless --enable is given.
#
# Options
#   --prefix DIR     where bin/ and share/ go (default /usr/local; the units' ExecStart follows it)
#   --destdir DIR    prepend DIR to every installed path (staging); skips user creation and systemctl
#   --no-build DIR   do not build: take cosmos-worker and cosmosctl from DIR
#   --cron           also install the cron alternative of the maintenance timer
#   --enable         enable and start cosmos-worker.socket, cosmos-worker.service and the maintenance timer
set -Eeuo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=/usr/local
DESTDIR=""
BIN_DIR=""
BUILD=1
CRON=0
ENABLE=0
PRODUCTS=(cosmos-worker cosmosctl)
UNITS=(cosmos-worker.service cosmos-worker.socket cosmos-worker-maintenance.service cosmos-worker-maintenance.timer)
NO_DOCKER_DROPIN=10-no-docker-group.conf

log() { printf '[install] %s\n' "$*" >&2; }
die() {
    printf '[install] ERROR: %s\n' "$*" >&2
    exit 1
}
usage() {
    sed -n '2,/^set -Eeuo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
    exit "${1:-0}"
}

while (($#)); do
    case $1 in
        --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
        --prefix=*) PREFIX=${1#*=}; shift ;;
        --destdir) DESTDIR=${2:?--destdir needs a directory}; shift 2 ;;
        --destdir=*) DESTDIR=${1#*=}; shift ;;
        --no-build) BUILD=0; BIN_DIR=${2:?--no-build needs the directory holding the built binaries}; shift 2 ;;
        --no-build=*) BUILD=0; BIN_DIR=${1#*=}; shift ;;
        --cron) CRON=1; shift ;;
        --enable) ENABLE=1; shift ;;
        -h | --help) usage 0 ;;
        *) printf '[install] unknown option: %s\n' "$1" >&2; usage 2 >&2 ;;
    esac
done

[[ $PREFIX == /* ]] || die "--prefix must be an absolute path (got '$PREFIX')"
PREFIX=${PREFIX%/}
[[ -n $PREFIX ]] || PREFIX=/
DESTDIR=${DESTDIR%/}
LIVE=1 # installing onto this machine (not staging)
[[ -z $DESTDIR ]] || LIVE=0
if ((LIVE)) && [[ $(id -u) -ne 0 ]]; then
    die "must run as root (or stage with --destdir)"
fi
if ((ENABLE)) && ((!LIVE)); then
    die "--enable cannot be combined with --destdir"
fi

systemd_running() { [[ -d /run/systemd/system ]]; }

# ------------------------------------------------------------------ binaries ---

if ((BUILD)); then
    command -v swift >/dev/null || die "swift not found: install the Swift toolchain, or use --no-build DIR"
    log "building release binaries (static Swift standard library)"
    for product in "${PRODUCTS[@]}"; do
        (cd "$REPO" && swift build -c release --static-swift-stdlib --product "$product") ||
            die "swift build of $product failed"
    done
    BIN_DIR=$(cd "$REPO" && swift build -c release --static-swift-stdlib --show-bin-path)
fi
for product in "${PRODUCTS[@]}"; do
    [[ -x $BIN_DIR/$product ]] || die "$BIN_DIR/$product is missing or not executable"
done

BIN=$DESTDIR$PREFIX/bin
DOC=$DESTDIR$PREFIX/share/doc/cosmos-worker
UNIT_DIR=$DESTDIR/etc/systemd/system
CONFIG_DIR=$DESTDIR/etc/cosmos-worker

install -d -m 0755 "$BIN" "$DOC" "$UNIT_DIR" "$CONFIG_DIR"
for product in "${PRODUCTS[@]}"; do
    # Through a temporary name and a rename: replacing a running executable in place fails (ETXTBSY).
    install -m 0755 "$BIN_DIR/$product" "$BIN/.$product.new"
    mv -f "$BIN/.$product.new" "$BIN/$product"
    log "installed $PREFIX/bin/$product"
done
install -m 0644 "$REPO/README.md" "$DOC/README.md"

# ----------------------------------------------------------------- user/group ---

if ((LIVE)); then
    if ! getent group cosmos >/dev/null; then
        groupadd --system cosmos
        log "created group cosmos"
    fi
    if ! getent passwd cosmos >/dev/null; then
        useradd --system --gid cosmos --home-dir /var/lib/cosmos-worker --no-create-home \
            --shell /usr/sbin/nologin --comment "cosmos-worker daemon" cosmos
        log "created user cosmos"
    fi
    if getent group docker >/dev/null; then
        usermod --append --groups docker cosmos
        log "user cosmos is in group docker"
    else
        log "no group docker on this machine: the service runs without it (remote engines only)"
    fi
else
    log "staging into $DESTDIR: not creating user cosmos"
fi

# ---------------------------------------------------------------------- units ---

for unit in "${UNITS[@]}"; do
    # The units name /usr/local/bin and /usr/local/share/doc; follow --prefix.
    sed -e "s#/usr/local/bin/#$PREFIX/bin/#g" -e "s#/usr/local/share/doc/#$PREFIX/share/doc/#g" \
        "$REPO/systemd/$unit" >"$UNIT_DIR/.$unit.new"
    chmod 0644 "$UNIT_DIR/.$unit.new"
    mv -f "$UNIT_DIR/.$unit.new" "$UNIT_DIR/$unit"
done
log "installed ${UNITS[*]} in /etc/systemd/system"

# SupplementaryGroups=docker fails the start (status 216/GROUP) where there is no such group.
DROPIN_DIR=$UNIT_DIR/cosmos-worker.service.d
if ((LIVE)) && ! getent group docker >/dev/null; then
    install -d -m 0755 "$DROPIN_DIR"
    printf '%s\n' "# Written by install.sh: this machine has no group docker (remote engines only)." \
        "[Service]" "SupplementaryGroups=" >"$DROPIN_DIR/$NO_DOCKER_DROPIN"
    log "wrote $DROPIN_DIR/$NO_DOCKER_DROPIN (no group docker)"
else
    rm -f "$DROPIN_DIR/$NO_DOCKER_DROPIN"
    rmdir "$DROPIN_DIR" 2>/dev/null || true
fi

if ((CRON)); then
    install -d -m 0755 "$DESTDIR/etc/cron.d"
    install -m 0644 "$REPO/etc/cron.d/cosmos-worker-maintenance" "$DESTDIR/etc/cron.d/cosmos-worker-maintenance"
    log "installed /etc/cron.d/cosmos-worker-maintenance (do not also enable the maintenance timer)"
fi

# --------------------------------------------------------------------- config ---

if [[ -e $CONFIG_DIR/config.toml ]]; then
    log "kept the existing /etc/cosmos-worker/config.toml (example: $REPO/etc/cosmos-worker/config.toml)"
else
    install -m 0640 "$REPO/etc/cosmos-worker/config.toml" "$CONFIG_DIR/config.toml"
    # The daemon runs as cosmos and must read it; nobody else needs to.
    if ((LIVE)); then chgrp cosmos "$CONFIG_DIR/config.toml"; fi
    log "installed /etc/cosmos-worker/config.toml"
fi

# -------------------------------------------------------------------- systemd ---

if ((LIVE)) && systemd_running; then
    systemctl daemon-reload
    log "systemctl daemon-reload done"
    if ((ENABLE)); then
        systemctl enable --now cosmos-worker.socket cosmos-worker.service
        ((CRON)) || systemctl enable --now cosmos-worker-maintenance.timer
        log "enabled and started cosmos-worker.socket and cosmos-worker.service"
    elif systemctl is-active --quiet cosmos-worker.service; then
        log "cosmos-worker is running the previous binary: systemctl restart cosmos-worker (running jobs are adopted)"
    else
        log "next: systemctl enable --now cosmos-worker.socket cosmos-worker.service cosmos-worker-maintenance.timer"
    fi
elif ((LIVE)); then
    log "systemd is not running here: units installed, nothing reloaded or enabled"
    ((ENABLE)) && die "--enable needs a running systemd"
fi
log "done"
