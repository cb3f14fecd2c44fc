#!/usr/bin/env bash
# Installs the Debian 12 packages the server, its tests and its web page need, when missing.
# Usage: scripts/install-deps.sh [--web] [--browser] [--fuzz]
set -euo pipefail
packages=(build-essential cmake ccache pkg-config libcaf-dev libboost1.81-dev rapidjson-dev
  libcpp-jwt-dev nlohmann-json3-dev libtomlplusplus-dev libspdlog-dev catch2 libcmark-gfm-dev
  libcmark-gfm-extensions-dev libssl-dev
  libjpeg62-turbo-dev libpng-dev libgif-dev libexif-dev libre2-dev libgumbo-dev zlib1g-dev libcurl4-openssl-dev libsqlite3-dev libhiredis-dev redis-server haproxy systemd python3 python3-pytest python3-websockets python3-jwt curl)
for arg in "$@"; do
  case "$arg" in
    --web) packages+=(nodejs npm) ;;
    --browser) packages+=(chromium) ;;
    --fuzz) packages+=(clang-14 libclang-rt-14-dev) ;;  # libFuzzer + sanitizer runtimes (scripts/fuzz.sh)
  esac
done
missing=()
for p in "${packages[@]}"; do
  # node/npm may come from elsewhere than Debian (the machine image ships them).
  if [[ "$p" == nodejs && -x "$(command -v node)" ]] || [[ "$p" == npm && -x "$(command -v npm)" ]]; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
