#!/usr/bin/env bash
# The whole test suite, as README and CI run it: `bash scripts/test.sh`.
#
# Installs what is missing (docker.io, libsystemd-dev, libsqlite3-dev, busybox-static), starts dockerd
# if no engine answers, builds the local test images, builds everything, and runs every test:
# unit tests and the integration tests against the real Docker engine, the dashboard's browser tests in real
# headless Chromium (scripts/test-browser.sh), then the end-to-end test under a real systemd
# (scripts/systemd-e2e.sh). Arguments are passed to `swift test` (a filter runs no end-to-end test).
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
# The output is kept in a log; on failure the failing tests and their recorded issues are printed again at
# the end, so the last lines of a CI log name what failed.
TEST_LOG="${TMPDIR:-/tmp}/cosmos-swift-test.log"
status=0
swift test --skip-build --no-parallel "$@" 2>&1 | tee "$TEST_LOG" || status=$?
if ((status != 0)); then
  echo "== failed tests (full output: $TEST_LOG)"
  grep -E '✘|↳|error:' "$TEST_LOG" | grep -vE 'Testing Library Version|Target Platform' | head -200 || true
  exit "$status"
fi

if (($#)); then
  echo "== skipping the browser and systemd end-to-end tests (swift test was filtered)"
  exit 0
fi
# The dashboard in real headless Chromium (installs chromium and Playwright when missing).
bash scripts/test-browser.sh

# Last: the e2e's systemd container mounts the host's cgroup tree read-write while it runs.
# It builds the binaries with the Swift runtime inside (.build-static), so they run where no toolchain is.
echo "== systemd end-to-end test"
bash scripts/systemd-e2e.sh --skip-test-env
