#!/usr/bin/env bash
# Builds the chat page (web/) into web/dist with npm packages pinned by web/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/../web"
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
npx vite build --logLevel warn
# Precompressed copies for the server to send to clients that accept gzip (docs/operations.md).
find dist -type f \( -name '*.js' -o -name '*.css' -o -name '*.svg' -o -name '*.html' -o -name '*.json' \) \
  -exec gzip -9 -k -f -n {} +
