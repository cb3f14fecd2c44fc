#!/usr/bin/env bash
# Builds with sanitizers into its own directory and runs tests there. Any sanitizer report fails
# the run, even one from a server process that the end-to-end tests only stop (reports go to files
# through log_path, and this script checks for them afterwards).
#
#   scripts/sanitize.sh asan   ASan + UBSan (build-asan/): unit and end-to-end tests
#   scripts/sanitize.sh tsan   TSan (build-tsan/): end-to-end tests (the threads are in the server)
#
# Skipped under ASan: "web:" (JavaScript, no C++ in it) and "bench: smoke" (throughput figures,
# meaningless at ASan's speed). "bench: soak" does run: 200 clients joining, chatting and dropping
# their sockets mid-frame is the best use-after-free and leak hunt we have.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
case "$mode" in
  asan) build_dir=build-asan sanitize=address tests=(-E '^(bench: smoke|web:)') targets=(soak) ;;
  tsan) build_dir=build-tsan sanitize=thread tests=(-R '^e2e:') targets=() ;;
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
export CC=clang-14 CXX=clang++-14
cmake_args=(-DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo
  -DBARERTC_SANITIZE=$sanitize)

# TSan must see every hand-over between threads, and most of ours go through CAF's mailboxes and
# scheduler inside libcaf_core.so. Debian's build of it is not instrumented, which buries real
# reports under thousands of false ones, so build the same CAF (0.17.6, Debian's source package,
# fetched with apt-get through a private deb-src list) with -fsanitize=thread, once per build dir
# (about a minute), and compile and link against it.
build_caf_tsan() {
  local caf=$PWD/$build_dir/caf
  if [[ ! -f $caf/build/lib/libcaf_core.so ]]; then
    local apt=$caf/apt
    rm -rf "$caf" && mkdir -p "$apt"/{lists/partial,cache/archives/partial,parts}
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main" \
      > "$apt/sources.list"
    local opts=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts="$apt/parts"
      -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" -o Debug::NoLocking=1)
    apt-get "${opts[@]}" update -qq
    (cd "$caf" && apt-get "${opts[@]}" source --tar-only -qq actor-framework 2>&1 | grep -v unsandboxed || true)
    tar -xzf "$caf"/actor-framework_*.orig.tar.gz -C "$caf"
    mv "$caf"/actor-framework-*/ "$caf/src"
    cmake -S "$caf/src" -B "$caf/build" -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAF_NO_AUTO_LIBCPP=yes -DCAF_NO_IO=yes -DCAF_NO_EXAMPLES=yes \
      -DCAF_NO_UNIT_TESTS=yes -DCAF_NO_OPENCL=yes -DCAF_NO_OPENSSL=yes -DCAF_NO_PYTHON=yes -DCAF_NO_TOOLS=yes \
      -DCAF_NO_COMPILER_CHECK=yes "-DCMAKE_CXX_FLAGS=-fsanitize=thread -fno-omit-frame-pointer" \
      -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread > /dev/null
    cmake --build "$caf/build" -j "$jobs" --target libcaf_core_shared > /dev/null
  fi
  cmake_args+=(-DCAF_CORE="$caf/build/lib/libcaf_core.so"
    "-DCMAKE_CXX_FLAGS=-I$caf/src/libcaf_core -I$caf/build/libcaf_core")
}
[[ $mode == tsan ]] && build_caf_tsan
cmake -S . -B "$build_dir" "${cmake_args[@]}" > /dev/null
cmake --build "$build_dir" -j "$jobs" --target barertc unit_tests "${targets[@]}"

reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
# Reports go to $reports/<tool>.<pid> (log_path), with symbolised stacks.
if [[ $mode == asan ]]; then
  # Stop at the first finding. detect_leaks=1: leaks are findings too (the server frees everything
  # on a graceful exit, CAF included).
  export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:strict_string_checks=1:check_initialization_order=1:log_path=$reports/asan"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan"
  export LSAN_OPTIONS="suppressions=$PWD/test/lsan.supp:print_suppressions=0"
else
  # Report every race (halt_on_error=0) so one run shows them all; suppressions only for races
  # wholly inside uninstrumented libraries (see the comments in test/tsan.supp).
  export TSAN_OPTIONS="halt_on_error=0:second_deadlock_stack=1:suppressions=$PWD/test/tsan.supp:log_path=$reports/tsan"
fi
# End-to-end tests left out under sanitizers, with the reason; each still runs in scripts/test.sh.
deselect=(
  # Runs the server with 64 descriptors. The sanitizer runtimes need descriptors of their own:
  # UBSan's vptr check probes memory through a pipe and, with none left, reports a false
  # "invalid vptr" in Boost's error_category; under TSan the server never reaches the limit's log.
  test_limits.py::test_out_of_file_descriptors_pauses_accepting_and_recovers
)
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
