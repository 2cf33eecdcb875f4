#!/usr/bin/env bash
# scripts/uninstall.sh — undo scripts/install.sh.
#
#   sudo bash scripts/uninstall.sh            # stop and disable the units, remove binaries, units, cron file, docs
#   sudo bash scripts/uninstall.sh --purge    # ... and also the state, the configuration and the user cosmos
#
# Without --purge, /var/lib/cosmos-worker (database, job logs, outputs) and /etc/cosmos-worker/config.toml stay,
# so a later install picks up where this one left off. Job containers still running in Docker are not touched
# either way (a later install adopts them; `docker ps --filter label=cosmos.job` lists them).
#
# Options
#   --prefix DIR     the --prefix given to install.sh (default /usr/local)
#   --destdir DIR    remove from a staging directory instead (no systemctl, no user removal)
#   --purge          also remove /var/lib/cosmos-worker, /etc/cosmos-worker, /run/cosmos-worker, user and group
set -Eeuo pipefail

PREFIX=/usr/local
DESTDIR=""
PURGE=0
UNITS=(cosmos-worker.service cosmos-worker.socket cosmos-worker-maintenance.service cosmos-worker-maintenance.timer)

log() { printf '[uninstall] %s\n' "$*" >&2; }
die() {
    printf '[uninstall] ERROR: %s\n' "$*" >&2
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
        --purge) PURGE=1; shift ;;
        -h | --help) usage 0 ;;
        *) printf '[uninstall] unknown option: %s\n' "$1" >&2; usage 2 >&2 ;;
    esac
done
[[ $PREFIX == /* ]] || die "--prefix must be an absolute path (got '$PREFIX')"
PREFIX=${PREFIX%/}
DESTDIR=${DESTDIR%/}
LIVE=1
[[ -z $DESTDIR ]] || LIVE=0
if ((LIVE)) && [[ $(id -u) -ne 0 ]]; then
    die "must run as root (or use --destdir)"
fi

if ((LIVE)) && [[ -d /run/systemd/system ]]; then
    # The socket first: otherwise a cosmosctl call could start the service again while it stops.
    for unit in cosmos-worker-maintenance.timer cosmos-worker.socket cosmos-worker.service \
        cosmos-worker-maintenance.service; do
        if systemctl cat "$unit" >/dev/null 2>&1; then
            systemctl disable --now "$unit" >/dev/null 2>&1 || systemctl stop "$unit" || true
            log "stopped and disabled $unit"
        fi
    done
fi

for unit in "${UNITS[@]}"; do
    rm -f "$DESTDIR/etc/systemd/system/$unit"
done
rm -rf "$DESTDIR/etc/systemd/system/cosmos-worker.service.d"
rm -f "$DESTDIR/etc/cron.d/cosmos-worker-maintenance"
rm -f "$DESTDIR$PREFIX/bin/cosmos-worker" "$DESTDIR$PREFIX/bin/cosmosctl"
rm -rf "$DESTDIR$PREFIX/share/doc/cosmos-worker"
log "removed binaries, units, cron file and docs"

if ((LIVE)) && [[ -d /run/systemd/system ]]; then
    systemctl daemon-reload
    systemctl reset-failed cosmos-worker.service cosmos-worker-maintenance.service >/dev/null 2>&1 || true
fi

if ((PURGE)); then
    rm -rf "$DESTDIR/var/lib/cosmos-worker" "$DESTDIR/etc/cosmos-worker" "$DESTDIR/run/cosmos-worker"
    log "purged /var/lib/cosmos-worker, /etc/cosmos-worker and /run/cosmos-worker"
    if ((LIVE)); then
        if getent passwd cosmos >/dev/null; then userdel cosmos && log "removed user cosmos"; fi
        if getent group cosmos >/dev/null; then groupdel cosmos && log "removed group cosmos"; fi
    fi
else
    log "kept /var/lib/cosmos-worker and /etc/cosmos-worker (remove them with --purge)"
fi
log "done"
