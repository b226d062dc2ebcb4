#!/usr/bin/env bash
# Installs what classifyd needs to build (Debian 12 packages) and builds it.
#
#   deploy/setup.sh [--build-dir DIR] [--sanitize address,undefined|thread]
#                   [--fuzz] [--target TARGET]...
#   deploy/setup.sh --packages-only    install the packages, do not build
#
# --fuzz: clang build of the libFuzzer targets only (tests/fuzz).
# --target: build these targets (and what they depend on) instead of all.
#
# Idempotent: installs only missing packages (with sudo when not root) and
# rebuilds incrementally. Used by run.sh and test.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$ROOT/build/release"
SANITIZE=""
BUILD_TYPE=Release
FUZZ=""
PACKAGES_ONLY=""
TARGET=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) BUILD_DIR="$2"; shift 2 ;;
    --sanitize) SANITIZE="$2"; BUILD_TYPE=RelWithDebInfo; shift 2 ;;
    --fuzz) FUZZ=1; BUILD_TYPE=RelWithDebInfo; shift ;;
    --packages-only) PACKAGES_ONLY=1; shift ;;
    --target) TARGET+=(--target "$2"); shift 2 ;;
    *) echo "setup.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

PACKAGES=(
  cmake ninja-build g++ pkg-config
  libgrpc++-dev protobuf-compiler-grpc protobuf-compiler libprotobuf-dev
  libfasttext-dev libspdlog-dev libfmt-dev libicu-dev
  libtomlplusplus-dev libcli11-dev libhyperscan-dev nlohmann-json3-dev
  # Language detection (daemon/service/language_detector.*).
  libcld2-dev
  libgtest-dev libgmock-dev
  prometheus-cpp-dev libcpp-httplib-dev nginx
  libsystemd-dev systemd
  # Sandbox of isolated plugin processes (daemon/isolation/sandbox.*).
  libseccomp-dev
  python3 ccache
  # TLS: OpenSSL headers (start-up checks), openssl (test certificates).
  libssl-dev openssl
  # Example clients (clients/): Python, Go, and Node below.
  python3-grpcio python3-protobuf
  golang-go golang-google-grpc-dev golang-google-protobuf-dev
  golang-github-golang-protobuf-1-5-dev protoc-gen-go protoc-gen-go-grpc
  # The web console's browser test (tests/browser/): headless Chromium,
  # and a Chinese font for its screenshot.
  chromium fonts-wqy-microhei
  # Container and Kubernetes manifest checks (tests/deploy/).
  python3-yaml python3-jsonschema
  # Model building and evaluation (models/): calibration, figures, and
  # ICU's uconv and OpenCC for the traditional-character copies of the dev
  # set.
  python3-sklearn python3-matplotlib icu-devtools opencc
  # The Python peer server of bench/run_bench.sh (bench/peers/).
  python3-fasttext
  # The Debian package (deploy/package.sh), its man pages and checks, and
  # promtool for the alert rules (tests/deploy/).
  debhelper dpkg-dev fakeroot help2man lintian prometheus
)
# Node and npm may come from elsewhere (e.g. NodeSource, whose nodejs
# bundles npm and conflicts with Debian's npm): Debian's only if missing.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  PACKAGES+=(nodejs npm)
fi
# The fuzz build: clang and its libFuzzer/sanitizer runtimes.
if [[ -n "$FUZZ" ]]; then PACKAGES+=(clang libclang-rt-14-dev); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=()
  if [[ $(id -u) -ne 0 ]]; then SUDO=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if [[ -n "$PACKAGES_ONLY" ]]; then exit 0; fi

JOBS="${CLASSIFYD_JOBS:-$(nproc)}"
# ccache makes rebuilds in several checkouts (or after `git clean`) cheap;
# CCACHE_BASEDIR lets checkouts at different paths share entries.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(dirname "$ROOT")}"
CONFIGURE=()
if [[ -n "$FUZZ" ]]; then
  export CC=clang CXX=clang++
  CONFIGURE=(-DCLASSIFYD_FUZZ=ON -DCLASSIFYD_BUILD_TESTS=OFF
             -DCLASSIFYD_BUILD_BENCH=OFF)
  TARGET=(--target classifyd_fuzz)
fi
if [[ -n "$SANITIZE" ]]; then
  # No test runs the benchmark tools; an instrumented build of them would
  # only lengthen CI.
  CONFIGURE+=(-DCLASSIFYD_BUILD_BENCH=OFF)
fi
if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja \
    -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DCLASSIFYD_SANITIZE="$SANITIZE" \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    "${CONFIGURE[@]}"
fi
cmake --build "$BUILD_DIR" -j "$JOBS" "${TARGET[@]}"
