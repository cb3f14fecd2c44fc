#!/usr/bin/env bash
# Builds (when needed) and starts the server on :9000. A default settings.toml is written on
# first run. Extra arguments go to the server, e.g. scripts/start.sh --workers 2 -debug
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --web
scripts/build.sh --target barertc
if [[ -f web/package.json ]]; then scripts/build-web.sh; fi
exec build/barertc "$@"
