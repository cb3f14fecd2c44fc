#!/usr/bin/env bash
# Builds with sanitizers into its own directory and runs tests there. Any sanitizer report fails
# the run, even one from a server process that the end-to-end tests only stop (reports go to files
# through log_path, and this script checks for them afterwards).
#
#   scripts/sanitize.sh asan   ASan + UBSan (build-asan/): unit and end-to-end tests
#   scripts/sanitize.sh tsan   TSan (build-tsan/): end-to-end tests (the threads are in the server)
#
# Skipped under ASan: "web:" (JavaScript, no C++ in it) and "bench:" (a load run; under ASan it
# only repeats the e2e paths at 2-3x the time and CI's budget is better spent on TSan and fuzzing).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
case "$mode" in
  asan) build_dir=build-asan sanitize=address tests=(-E '^(bench|web):') ;;
  # e2e: shutdown_load is one throughput test (see `deselect` below), so the whole file is left out.
  tsan) build_dir=build-tsan sanitize=thread tests=(-R '^e2e:' -E '^e2e: shutdown_load$') ;;
  *) echo "usage: scripts/sanitize.sh asan|tsan" >&2; exit 2 ;;
esac
build_dir=${BUILD_DIR:-$build_dir}
# clang-14 (as for fuzzing): its compile-time ignore list (test/ubsan.ignore) can name the exact
# third-party spots UBSan trips on, which GCC's runtime suppressions cannot.
scripts/install-deps.sh --fuzz
if [[ -f "$build_dir/CMakeCache.txt" ]] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang++-14' "$build_dir/CMakeCache.txt"; then
  rm -rf "$build_dir"  # configured with another compiler
fi
# At most two jobs: CI machines have two cores, and so do shared development machines.
jobs=${JOBS:-2}
CC=clang-14 CXX=clang++-14 cmake -S . -B "$build_dir" -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBARERTC_SANITIZE=$sanitize > /dev/null
cmake --build "$build_dir" -j "$jobs" --target barertc unit_tests

reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
# Reports go to $reports/<tool>.<pid> (log_path), with symbolised stacks.
if [[ $mode == asan ]]; then
  # Stop at the first finding. detect_leaks=1: leaks are findings too (the server frees everything
  # on a graceful exit, CAF included).
  export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:strict_string_checks=1:check_initialization_order=1:log_path=$reports/asan"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
else
  # Report every race (halt_on_error=0) so one run shows them all; suppressions only for races
  # wholly inside uninstrumented libraries (see the comments in test/tsan.supp).
  export TSAN_OPTIONS="halt_on_error=0:second_deadlock_stack=1:suppressions=$PWD/test/tsan.supp:log_path=$reports/tsan"
fi
# End-to-end tests left out under sanitizers, with the reason; each still runs in scripts/test.sh.
deselect=(
  # Sends 190 requests without reading the replies against SendQueueLimit = 64: whether the server
  # flushes fast enough is a race it loses now and then when slowed down (1008 "too slow").
  test_hostile.py::test_injection_in_channel_and_target_fields_is_escaped
)
if [[ $mode == tsan ]]; then
  deselect+=(
    # Throughput test: 2000 messages of 4 KB within the test's time limit. TSan's 5-15x slowdown
    # makes it time out; its code paths run in the other tests.
    # (test_shutdown_load.py, 300 users and a 500-frame backlog, is excluded above for the same reason.)
    test_limits.py::test_client_that_never_reads_is_dropped_while_others_chat
  )
fi
export PYTEST_ADDOPTS="${PYTEST_ADDOPTS:-} ${deselect[*]/#/--deselect=}"

# The e2e servers write their logs under $TMPDIR; keep them here so reports that went to a log
# instead of log_path are found too.
mkdir -p "$reports/tmp"
status=0
(cd "$build_dir" && TMPDIR="$reports/tmp" ctest --output-on-failure --timeout 900 "${tests[@]}") || status=$?
found=$(find "$reports" -maxdepth 1 -type f; grep -rlE 'ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:' "$reports/tmp" || true)
if [[ -n $found ]]; then
  echo "=== sanitizer reports ($mode) ==="
  for f in $found; do echo "--- $f"; grep -v '^\[20' "$f" | head -200; done
  status=1
fi
exit $status
