#!/usr/bin/env bash
# Builds the libFuzzer targets (test/fuzz/) with clang-14 into build-fuzz/ and runs each for the
# given number of seconds (default 60) from its seed corpus in test/fuzz/corpus/<target>/. The
# corpus is copied to a scratch directory first, so runs never change the repository. Fails when a
# target crashes, leaks, trips ASan/UBSan, or breaks one of its checked properties; the input that
# did it is kept in build-fuzz/artifacts/ (replay: build-fuzz/test/fuzz/fuzz_<target> <file>).
#
#   scripts/fuzz.sh [seconds] [target...]     targets: codec markdown settings jwt_page ws_frame image
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(codec markdown settings jwt_page ws_frame image)
scripts/install-deps.sh --fuzz
build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DBARERTC_FUZZ=ON > /dev/null
fi
cmake --build "$build_dir" -j "${JOBS:-2}" --target "${targets[@]/#/fuzz_}"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
artifacts="$PWD/$build_dir/artifacts"
mkdir -p "$artifacts"
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t"
  cp test/fuzz/corpus/"$t"/* "$scratch/$t/"
  log="$scratch/$t.log"
  echo "== fuzz_$t: ${seconds}s"
  # -rss_limit_mb: well below the machine's memory; -max_len: frames and files are small here,
  # bigger inputs only slow the search down.
  if "$build_dir/test/fuzz/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=8192 \
      -timeout=25 -print_final_stats=1 -artifact_prefix="$artifacts/$t-" "$scratch/$t" > "$log" 2>&1; then
    grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' "$log" | sed 's/^/   /'
  else
    echo "   FAILED (log below; reproducer in $artifacts/)"
    grep -v -E '^#[0-9]+\s+(NEW|REDUCE|pulse)' "$log" | tail -60
    failed+=("$t")
  fi
done
if ((${#failed[@]})); then
  echo "fuzz targets that failed: ${failed[*]}"
  exit 1
fi
echo "all fuzz targets ran ${seconds}s without a finding"
