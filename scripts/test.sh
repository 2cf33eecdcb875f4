#!/usr/bin/env bash
# The whole test suite, as README and CI run it: `bash scripts/test.sh`.
#
# Installs what is missing (docker.io, libsystemd-dev, libsqlite3-dev, busybox-static), starts dockerd
# if no engine answers, builds the local test images, builds everything, and runs every test:
# unit tests and the integration tests against the real Docker engine.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/test-env.sh

echo "== building (debug, with tests)"
swift build --build-tests

# The integration tests start the real cosmos-worker binary and drive it with the real cosmosctl.
COSMOS_BIN_DIR="$(swift build --show-bin-path)"
export COSMOS_BIN_DIR

echo "== running tests"
# Serially: the integration suites share one Docker engine and two cores; timing assertions (watchdog
# cadence, stop bounds) stay meaningful when suites do not compete.
swift test --skip-build --no-parallel "$@"
