#!/usr/bin/env bash
# For a newcomer on Debian 12 with the Swift toolchain: installs what is missing, starts Docker if needed,
# builds the local test images and the release binaries, and runs the daemon in the foreground on the
# embedded default (state in ./cosmos-state, socket ./cosmos-state/cosmos.sock, local Docker, 1 GPU slot).
#
#   bash scripts/run.sh            # then, in another terminal: .build/release/cosmosctl status
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/test-env.sh
echo "== building release binaries"
swift build -c release --product cosmos-worker
swift build -c release --product cosmosctl
echo "== starting cosmos-worker (Ctrl-C stops it; running jobs are left running and adopted on the next start)"
exec .build/release/cosmos-worker "$@"
