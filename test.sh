#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite.
#
#   ./test.sh                       Release build, every test
#   ./test.sh --sanitize address,undefined
#                                   ASan+UBSan build in build/asan, every test
#   ./test.sh --sanitize thread     TSan build in build/tsan, the lifecycle
#                                   concurrency tests (registry, reload
#                                   coordinator, retirer: label "contract").
#                                   The integration tests run the daemon on
#                                   Debian's uninstrumented gRPC, where TSan
#                                   reports races inside gRPC and Abseil it
#                                   cannot see into; they run under ASan.
#
# Anything after `--` goes to ctest (e.g. ./test.sh -- -R Stream).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SANITIZE=""
CTEST_ARGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sanitize) SANITIZE="$2"; shift 2 ;;
    --) shift; CTEST_ARGS+=("$@"); break ;;
    *) echo "test.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

case "$SANITIZE" in
  "") BUILD_DIR="$ROOT/build/release"; SETUP_ARGS=() ;;
  thread) BUILD_DIR="$ROOT/build/tsan"; SETUP_ARGS=(--sanitize thread)
          CTEST_ARGS=(-L contract "${CTEST_ARGS[@]}") ;;
  *) BUILD_DIR="$ROOT/build/asan"; SETUP_ARGS=(--sanitize "$SANITIZE") ;;
esac

"$ROOT/deploy/setup.sh" --build-dir "$BUILD_DIR" "${SETUP_ARGS[@]}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$ROOT/tests/tsan.supp}"
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 600 -j "${CLASSIFYD_JOBS:-2}" "${CTEST_ARGS[@]}"
