#!/usr/bin/env bash
# Builds everything and runs every test (unit, end-to-end) through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --web --browser
scripts/build.sh
if [[ -f web/package.json ]]; then scripts/build-web.sh; fi
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 900
