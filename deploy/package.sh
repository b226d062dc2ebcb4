#!/usr/bin/env bash
# Builds the Debian packages classifyd and classifyd-dev into build/deb/.
#
#   deploy/package.sh [--build-dir DIR] [--no-lintian]
#
# Configures and builds the project for prefix /usr in DIR (default
# build/package: tests and benchmarks off; ccache makes it cheap after a
# release build), then packs it with debhelper (deploy/debian/) from a
# staging copy in build/deb/src, and runs lintian on the result, which must
# be clean apart from the tags overridden, with reasons, in
# deploy/debian/*.lintian-overrides. Needs the packages deploy/setup.sh
# installs (debhelper, dpkg-dev, fakeroot, help2man, lintian).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$ROOT/build/package"
LINTIAN=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) BUILD_DIR="$(realpath -m "$2")"; shift 2 ;;
    --no-lintian) LINTIAN=""; shift ;;
    *) echo "package.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
OUT="$ROOT/build/deb"

"$ROOT/deploy/setup.sh" --packages-only
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(dirname "$ROOT")}"
if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX=/usr \
    -DCLASSIFYD_BUILD_TESTS=OFF -DCLASSIFYD_BUILD_BENCH=OFF \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
fi
prefix="$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD_DIR/CMakeCache.txt")"
if [[ "$prefix" != /usr ]]; then
  echo "package.sh: $BUILD_DIR is configured for prefix '$prefix'; a package needs /usr" >&2
  exit 2
fi
cmake --build "$BUILD_DIR" -j "${CLASSIFYD_JOBS:-$(nproc)}"

# dpkg-buildpackage writes the packages next to the source tree it runs
# in: a staging tree in build/deb/src puts them in build/deb/.
rm -rf "$OUT"
mkdir -p "$OUT/src"
cp -r "$ROOT/deploy/debian" "$OUT/src/debian"
# Release builds carry no debugging information: no -dbgsym packages.
(cd "$OUT/src" &&
  CLASSIFYD_BUILD_DIR="$BUILD_DIR" \
  DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-noautodbgsym}" \
  dpkg-buildpackage --build=binary --no-sign --no-check-builddeps \
    --no-pre-clean)
if [[ -n "$LINTIAN" ]]; then
  lintian --fail-on error,warning --info "$OUT"/*.changes
fi
ls "$OUT"/*.deb
