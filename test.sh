#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite.
#
#   ./test.sh                       Release build, every test
#   ./test.sh --sanitize address,undefined
#                                   ASan+UBSan build in build/asan, every test
#   ./test.sh --sanitize thread     TSan build in build/tsan of the lifecycle
#                                   concurrency tests (registry, reload
#                                   coordinator, retirer, watcher:
#                                   registry_unit_tests; the plugin contract
#                                   tests) and what they load, and those
#                                   tests.
#                                   The integration tests run the daemon on
#                                   Debian's uninstrumented gRPC, where TSan
#                                   reports races inside gRPC and Abseil it
#                                   cannot see into; they run under ASan.
#   ./test.sh --fuzz SECONDS        clang + libFuzzer build in build/fuzz
#                                   (ASan+UBSan), then every fuzz target in
#                                   tests/fuzz for SECONDS each, on a fresh
#                                   copy of its seed corpus (tests/fuzz/
#                                   corpus/<target>, plus real files from
#                                   models/) under build/fuzz/run/<target>.
#                                   Prints executions, coverage and findings
#                                   per target; fails on any crash, leak,
#                                   timeout (-timeout=10 s per input) or
#                                   out-of-memory (-rss_limit_mb=2048), whose
#                                   input is left in build/fuzz/run/<target>/
#                                   artifacts/ (replay: build/fuzz/bin/
#                                   <target>_fuzzer FILE).
#
# Anything after `--` goes to ctest (e.g. ./test.sh -- -R Stream).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SANITIZE=""
FUZZ_SECONDS=""
CTEST_ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sanitize) SANITIZE="$2"; shift 2 ;;
    --fuzz) FUZZ_SECONDS="$2"; shift 2 ;;
    --) shift; CTEST_ARGS+=("$@"); break ;;
    *) echo "test.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

if [[ -n "$FUZZ_SECONDS" ]]; then
  exec "$ROOT/tests/fuzz/run_fuzzers.sh" "$FUZZ_SECONDS"
fi

case "$SANITIZE" in
  "") BUILD_DIR="$ROOT/build/release"; SETUP_ARGS=() ;;
  thread) BUILD_DIR="$ROOT/build/tsan"
          SETUP_ARGS=(--sanitize thread --target plugin_contract_tests
                      --target lexicon_tests --target registry_unit_tests)
          # Test binaries not built here register no labelled tests.
          CTEST_ARGS=(-L 'contract|unit' "${CTEST_ARGS[@]}") ;;
  *) BUILD_DIR="$ROOT/build/asan"; SETUP_ARGS=(--sanitize "$SANITIZE") ;;
esac

"$ROOT/deploy/setup.sh" --build-dir "$BUILD_DIR" "${SETUP_ARGS[@]}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$ROOT/tests/tsan.supp}"
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 600 -j "${CLASSIFYD_JOBS:-2}" "${CTEST_ARGS[@]}"
