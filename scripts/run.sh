#!/usr/bin/env bash
# For a newcomer on Debian 12 with the Swift toolchain: installs what is missing, starts Docker if no engine
# answers, builds the local test images and a debug build of the two binaries, and runs the daemon in the
# foreground on the embedded default (state in ./cosmos-state, socket ./cosmos-state/cosmos.sock, local Docker,
# 1 GPU slot).
#
#   bash scripts/run.sh            # then, in another terminal: .build/debug/cosmosctl status
#
# It never changes the system engine's configuration (live restore is a recommendation: README). The debug build
# is the quick one for a trial; scripts/install.sh makes the release build for production.
set -euo pipefail
cd "$(dirname "$0")/.."

T0=$SECONDS
echo "== preparing the machine (packages, Docker engine, test images)"
bash scripts/test-env.sh --for-run
if [[ -x .build/debug/cosmos-worker && -x .build/debug/cosmosctl ]]; then
  echo "== building (debug, incremental)"
else
  echo "== building cosmos-worker and cosmosctl (debug; a first build compiles SwiftNIO, Hummingbird, GRDB and"
  echo "   the rest: several minutes on 2 cores; the progress lines below are SwiftPM's)"
fi
swift build --product cosmos-worker
swift build --product cosmosctl
echo "== ready to start after $((SECONDS - T0)) s; starting cosmos-worker"
echo "   (Ctrl-C stops it; running jobs are left running and adopted on the next start)"
echo "   in another terminal: export PATH=\$PWD/.build/debug:\$PATH; cosmosctl status"
exec .build/debug/cosmos-worker "$@"
