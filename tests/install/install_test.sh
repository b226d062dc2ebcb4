#!/usr/bin/env bash
# Installs the build into a temporary prefix and uses it the way a third
# party would: builds the example plugin out of tree against the installed
# SDK (CMake package and pkg-config; unoptimised, to build fast), runs the
# installed daemon with the installed settings and manifests, adds the
# example's manifests with a Kubernetes ConfigMap-style atomic update and
# waits for the hot load, and classifies through the installed classifyctl
# over real gRPC on loopback.
#
#   install_test.sh BUILD_DIR LIBDIR CONFDIR FULL_CONFDIR FULL_PLUGIN_LIB_DIR
#
# LIBDIR and CONFDIR are the prefix-relative library and settings
# directories; FULL_* are the paths the daemon was compiled to default to
# (the configured prefix's layout).
set -euo pipefail
BUILD_DIR="$1"
LIBDIR="$2"
CONFDIR="$3"
EXPECT_CONFDIR="$4"
EXPECT_PLUGIN_LIB_DIR="$5"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/classifyd-install-test.XXXXXX")"
DAEMON_PID=""
cleanup() {
  if [[ -n "$DAEMON_PID" ]] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -KILL "$DAEMON_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=SCRIPTDIR/../testing/script_helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/../testing/script_helpers.sh"

# Polls `command...` every 0.2 s until it succeeds; gives up after a
# generous 120 s (the machine is shared).
wait_for() {
  local what="$1"; shift
  for _ in $(seq 600); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [[ -n "$DAEMON_PID" ]] && ! kill -0 "$DAEMON_PID" 2>/dev/null; then
      fail "daemon exited while waiting for $what"
    fi
    sleep 0.2
  done
  fail "timed out waiting for $what"
}

P="$WORK/prefix"
step "cmake --install into $P"
cmake --install "$BUILD_DIR" --prefix "$P" >"$WORK/install.log" ||
  { cat "$WORK/install.log" >&2; fail "cmake --install failed"; }

step "install layout"
for f in bin/classifyd bin/classifyctl bin/classifyd-plugin-host \
    "$LIBDIR/classifyd/plugins/fasttext.so" \
    "$LIBDIR/classifyd/plugins/lexicon.so" \
    include/classifyd/plugin.h include/classifyd/plugin_sdk.h \
    include/classifyd/plugin.map \
    "$LIBDIR/cmake/classifyd/classifydConfig.cmake" \
    "$LIBDIR/cmake/classifyd/classifydConfigVersion.cmake" \
    "$LIBDIR/pkgconfig/classifyd-plugin.pc" \
    "$CONFDIR/classifyd.toml" \
    "$CONFDIR/plugins.d/news-topics.toml" \
    "$CONFDIR/plugins.d/lexicon.toml" \
    "$CONFDIR/plugins.d/news-topics-en.toml" \
    "$CONFDIR/plugins.d/lexicon-en.toml" \
    share/classifyd/models/news-topics/model.ftz \
    share/classifyd/models/news-topics/calibration.tsv \
    share/classifyd/models/news-topics-en/model.ftz \
    share/classifyd/models/news-topics-en/calibration.tsv \
    share/classifyd/models/lexicon/rules.toml \
    share/classifyd/models/lexicon/calibration.tsv \
    share/classifyd/models/lexicon-en/rules.toml \
    share/doc/classifyd/examples/wordlist/CMakeLists.txt \
    share/doc/classifyd/examples/wordlist/wordlist_plugin.cc; do
  [[ -f "$P/$f" ]] || fail "not installed: $f"
done
# The installed manifests name the installed models, by absolute path.
for m in "$P/$CONFDIR"/plugins.d/*.toml; do
  model="$(sed -n 's/^model = "\(.*\)"$/\1/p' "$m")"
  [[ "$model" == "$P/share/classifyd/models/"* ]] ||
    fail "$m: model '$model' is not under the installed models"
  [[ -f "$model" ]] || fail "$m: model '$model' does not exist"
done

step "compiled-in defaults follow the configured layout"
help="$("$P/bin/classifyd" --help)"
grep -qF -- "--plugin-dir TEXT=$EXPECT_CONFDIR/plugins.d" <<<"$help" ||
  fail "--plugin-dir default is not $EXPECT_CONFDIR/plugins.d:"$'\n'"$help"
grep -qF -- "--plugin-lib-dir TEXT=$EXPECT_PLUGIN_LIB_DIR" <<<"$help" ||
  fail "--plugin-lib-dir default is not $EXPECT_PLUGIN_LIB_DIR:"$'\n'"$help"

# Only the entry point may be exported, and no STB_GNU_UNIQUE symbol may
# exist (it would pin the library in memory across reloads).
check_exports() {
  local so="$1"
  local exported
  exported="$(nm -D --defined-only "$so" | awk '{print $3}' | sort -u)"
  [[ "$exported" == "classifyd_plugin_entry" ]] ||
    fail "$so exports more than classifyd_plugin_entry: $exported"
  if readelf --dyn-syms --wide "$so" | grep -q ' UNIQUE '; then
    fail "$so has STB_GNU_UNIQUE symbols"
  fi
}

step "example plugin out of tree with find_package(classifyd)"
SRC="$WORK/my-plugin"
cp -r "$P/share/doc/classifyd/examples/wordlist" "$SRC"
cmake -S "$SRC" -B "$WORK/plugin-build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$P" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$WORK/plugin-cmake.log" 2>&1 ||
  { cat "$WORK/plugin-cmake.log" >&2; fail "configure of the example failed"; }
cmake --build "$WORK/plugin-build" >"$WORK/plugin-build.log" 2>&1 ||
  { cat "$WORK/plugin-build.log" >&2; fail "build of the example failed"; }
# Its install rule puts it where the daemon looks up bare plugin names.
cmake --install "$WORK/plugin-build" >/dev/null ||
  fail "install of the example failed"
[[ -f "$P/$LIBDIR/classifyd/plugins/wordlist.so" ]] ||
  fail "wordlist.so was not installed into the plugin library directory"
check_exports "$P/$LIBDIR/classifyd/plugins/wordlist.so"

step "example plugin with pkg-config flags"
export PKG_CONFIG_PATH="$P/$LIBDIR/pkgconfig"
pkg-config --exists classifyd-plugin || fail "pkg-config finds no classifyd-plugin"
# shellcheck disable=SC2046  # the flags are meant to be split
g++ -std=c++20 $(pkg-config --cflags classifyd-plugin) \
  -o "$WORK/wordlist_pc.so" "$SRC/wordlist_plugin.cc" \
  $(pkg-config --libs classifyd-plugin) || fail "pkg-config build failed"
check_exports "$WORK/wordlist_pc.so"

step "installed daemon with the installed manifests"
# The manifest directory is laid out the way Kubernetes mounts a ConfigMap
# (deploy/k8s): files reached through a `..data` symlink that an update
# swaps atomically to a new directory.
CONFIG="$WORK/config"
mkdir -p "$CONFIG/..v1/plugins.d"
cp "$P/$CONFDIR"/plugins.d/*.toml "$CONFIG/..v1/plugins.d/"
ln -s ..v1 "$CONFIG/..data"
ln -s ..data/plugins.d "$CONFIG/plugins.d"
mkdir -m 0700 "$WORK/run"
"$P/bin/classifyd" --config "$P/$CONFDIR/classifyd.toml" \
  --listen 127.0.0.1:0 --port-file "$WORK/port" \
  --plugin-dir "$CONFIG/plugins.d" \
  --plugin-lib-dir "$P/$LIBDIR/classifyd/plugins" \
  --runtime-dir "$WORK/run" --admin-socket "$WORK/run/admin.sock" \
  2>"$WORK/daemon.log" &
DAEMON_PID=$!
wait_for "the port file" test -s "$WORK/port"
ADDR="127.0.0.1:$(cat "$WORK/port")"
CTL=("$P/bin/classifyctl" --addr "$ADDR" --admin-socket "$WORK/run/admin.sock")
wait_for "health SERVING" "${CTL[@]}" health
ready() {
  local table
  table="$("${CTL[@]}" plugins)" || return 1
  for name in "$@"; do
    grep -qE "^$name +READY " <<<"$table" || return 1
  done
}
wait_for "the bundled classifiers READY" ready lexicon news-topics \
  lexicon-en news-topics-en

step "the example plugins hot-load through a ConfigMap-style update"
mkdir -p "$CONFIG/..v2/plugins.d"
cp "$CONFIG"/..v1/plugins.d/*.toml "$CONFIG/..v2/plugins.d/"
# Labels the bundled classifiers never give, so the check cannot be
# satisfied by them.
sed -e 's/^label = .*/label = "example-cmake"/' \
    "$SRC/wordlist.toml" >"$CONFIG/..v2/plugins.d/sports.toml"
sed -e "s|^plugin = .*|plugin = \"$WORK/wordlist_pc.so\"|" \
    -e 's/^label = .*/label = "example-pkgconfig"/' \
    "$SRC/wordlist.toml" >"$CONFIG/..v2/plugins.d/ball.toml"
ln -s ..v2 "$CONFIG/..data_tmp"
mv -T "$CONFIG/..data_tmp" "$CONFIG/..data"
rm -rf "$CONFIG/..v1"
wait_for "all four classifiers READY" ready lexicon news-topics sports ball
"${CTL[@]}" plugins

step "classify through gRPC with the installed classifyctl"
DOC="国家队在世界杯预选赛中以二比零战胜对手，足球迷彻夜庆祝。"
out="$("${CTL[@]}" classify --json --plugin sports,ball "$DOC")" ||
  fail "classify failed: $out"
echo "$out"
python3 - "$out" <<'PY' || fail "the example plugins' labels did not come back"
import json, sys
labels = {l["name"]: l for l in json.loads(sys.argv[1]).get("labels", [])}
for name, plugin in (("example-cmake", "sports"), ("example-pkgconfig", "ball")):
    l = labels.get(name)
    assert l is not None, f"no label {name}: {labels}"
    assert l["plugin"] == plugin, l
    assert abs(l["score"] - 0.9) < 1e-6, l
    assert sorted(l["evidence"]) == ["世界杯", "足球"], l
PY
# A document without any of the words gets no label from them.
out="$("${CTL[@]}" classify --json --plugin sports,ball "今天股市大涨")"
grep -q '"example-' <<<"$out" && fail "labelled a document without the words: $out"
# The bundled classifiers answer from their installed models.
out="$("${CTL[@]}" classify --json --plugin news-topics,lexicon "$DOC")"
grep -q '"plugin": *"news-topics"' <<<"$out" ||
  fail "no label from the installed news-topics model: $out"

step "SIGTERM drains and exits 0"
kill -TERM "$DAEMON_PID"
status=0
wait "$DAEMON_PID" || status=$?
DAEMON_PID=""
[[ $status -eq 0 ]] || fail "daemon exited with status $status after SIGTERM"
echo "PASS"
