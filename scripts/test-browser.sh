#!/usr/bin/env bash
# The dashboard's browser tests: real headless Chromium (Debian's `chromium`) driven by Playwright from PyPI,
# against a real cosmos-worker on the real Docker engine. Installs what is missing: chromium and python3-venv
# from Debian, Playwright into .build-browser/venv (no browser download: it drives the system Chromium).
# Screenshots of each page go to $COSMOS_BROWSER_ARTIFACTS (default .build-browser/artifacts).
#
#   bash scripts/test-browser.sh            # after `swift build` (scripts/test.sh runs it)
set -euo pipefail
cd "$(dirname "$0")/.."

PLAYWRIGHT_VERSION=1.65.2
VENV=.build-browser/venv

missing=()
for p in chromium python3-venv; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 update
  DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 install --no-install-recommends "${missing[@]}"
fi
if ! "$VENV/bin/python" -c "import playwright" 2>/dev/null; then
  echo "== installing Playwright $PLAYWRIGHT_VERSION into $VENV"
  /usr/bin/python3 -m venv "$VENV"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 "$VENV/bin/pip" install -q "playwright==$PLAYWRIGHT_VERSION"
fi

COSMOS_BIN_DIR="${COSMOS_BIN_DIR:-$(swift build --show-bin-path)}"
export COSMOS_BIN_DIR
export COSMOS_BROWSER_ARTIFACTS="${COSMOS_BROWSER_ARTIFACTS:-$PWD/.build-browser/artifacts}"
export COSMOS_CHROMIUM="${COSMOS_CHROMIUM:-/usr/bin/chromium}"
rm -rf "$COSMOS_BROWSER_ARTIFACTS"
echo "== browser tests (Chromium: $("$COSMOS_CHROMIUM" --version 2>/dev/null | head -1); screenshots: $COSMOS_BROWSER_ARTIFACTS)"
"$VENV/bin/python" -m unittest -v Tests/Browser/test_dashboard.py
