#!/usr/bin/env bash
# Builds the Debian packages with deploy/package.sh (lintian included: it
# fails on any error or warning not overridden with a reason), unpacks them
# into a throwaway root, and checks what an installation would get:
#   1. the file list: binaries, plugins, models, manifests, unit, sysusers.d
#      and tmpfiles.d files, man pages, bash completion, SDK in -dev;
#   2. conffiles: the settings and every bundled manifest;
#   3. maintainer scripts: user created (sysusers), unit enabled on
#      install and restarted on upgrade, stopped on removal;
#   4. the unit's Documentation= man pages are in the package, the sysusers
#      file creates the user in the root, the man pages render, completion
#      offers classifyctl's subcommands;
#   5. the packaged daemon, with the packaged settings, manifests (their
#      model paths moved into the root), plugins and models, serves on an
#      ephemeral loopback port, classifies a document through the packaged
#      classifyctl, and logs one JSON object a line (--log-format json).
#
#   package_test.sh SOURCE_DIR
set -euo pipefail
SRC="$1"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/classifyd-package-test.XXXXXX")"
DAEMON_PID=""
cleanup() {
  if [[ -n "$DAEMON_PID" ]]; then kill -KILL "$DAEMON_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=SCRIPTDIR/../testing/script_helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/../testing/script_helpers.sh"

step "deploy/package.sh"
CLASSIFYD_JOBS=2 "$SRC/deploy/package.sh" >"$WORK/package.log" 2>&1 ||
  { tail -n 60 "$WORK/package.log" >&2; fail "deploy/package.sh"; }
DEB="$SRC/build/deb/classifyd_"*_*.deb
DEV="$SRC/build/deb/classifyd-dev_"*_*.deb
# shellcheck disable=SC2086  # the globs are meant to expand
{ ls $DEB && ls $DEV; } >/dev/null || fail "no .deb files in build/deb"

step "file list"
R="$WORK/root"
# shellcheck disable=SC2086
{ dpkg-deb -x $DEB "$R" && dpkg-deb -x $DEV "$R"; } || fail "dpkg-deb -x"
PLUGINS="$(echo "$R"/usr/lib/*/classifyd/plugins)"
for f in usr/bin/classifyd usr/bin/classifyctl usr/bin/classifyd-train \
    usr/bin/classifyd-plugin-host \
    "${PLUGINS#"$R/"}/fasttext.so" "${PLUGINS#"$R/"}/lexicon.so" \
    etc/classifyd/classifyd.toml etc/classifyd/plugins.d/news-topics.toml \
    usr/share/classifyd/models/news-topics/model.ftz \
    usr/share/classifyd/models/lexicon/rules.toml \
    lib/systemd/system/classifyd.service \
    usr/lib/sysusers.d/classifyd.conf usr/lib/tmpfiles.d/classifyd.conf \
    usr/share/man/man1/classifyd.1.gz usr/share/man/man1/classifyctl.1.gz \
    usr/share/man/man1/classifyd-train.1.gz \
    usr/share/bash-completion/completions/classifyctl \
    usr/share/doc/classifyd/operations.md.gz \
    usr/include/classifyd/plugin.h usr/include/classifyd/plugin_sdk.h \
    usr/share/doc/classifyd-dev/examples/wordlist/wordlist_plugin.cc; do
  [[ -f "$R/$f" ]] || fail "not in the packages: $f"
done
ls "$R"/usr/lib/*/cmake/classifyd/classifydConfig.cmake \
  "$R"/usr/lib/*/pkgconfig/classifyd-plugin.pc >/dev/null ||
  fail "no CMake package or pkg-config file in classifyd-dev"

step "conffiles and maintainer scripts"
dpkg-deb -e $DEB "$WORK/control" || fail "dpkg-deb -e"
expected="$(cd "$R" && find etc -type f | sed 's|^|/|' | sort)"
[[ "$(sort "$WORK/control/conffiles")" == "$expected" ]] ||
  fail "conffiles are not every file in /etc:"$'\n'"$(cat "$WORK/control/conffiles")"
post="$WORK/control/postinst"
grep -q "systemd-sysusers.* classifyd.conf" "$post" || fail "postinst creates no user"
grep -q "deb-systemd-helper enable 'classifyd.service'" "$post" ||
  fail "postinst does not enable the unit"
grep -q "_dh_action=restart" "$post" || fail "postinst does not restart on upgrade"
grep -q "deb-systemd-invoke stop 'classifyd.service'" "$WORK/control/prerm" ||
  fail "prerm does not stop the unit"

step "unit documentation, user, man pages, completion"
unit="$R/lib/systemd/system/classifyd.service"
for page in $(sed -n 's/^Documentation=//p' "$unit" | tr ' ' '\n' |
              sed -n 's/^man:\(.*\)(\([0-9]\))$/\1.\2/p'); do
  [[ -f "$R/usr/share/man/man${page##*.}/$page.gz" ]] ||
    fail "Documentation= names man page $page, which is not packaged"
done
for doc in $(sed -n 's/^Documentation=//p' "$unit" | tr ' ' '\n' |
             sed -n 's/^file://p'); do
  [[ -f "$R$doc" || -f "$R$doc.gz" ]] || fail "Documentation= names $doc, not packaged"
done
systemd-sysusers --root="$R" "$R/usr/lib/sysusers.d/classifyd.conf" ||
  fail "systemd-sysusers"
grep -q "^classifyd:" "$R/etc/passwd" || fail "sysusers made no classifyd user"
man -l "$R/usr/share/man/man1/classifyd.1.gz" 2>/dev/null | grep -q -- "--plugin-dir" ||
  fail "classifyd(1) does not render or lacks the options"
words="$(PATH="$R/usr/bin:$PATH" bash -c \
  'source "$1"; _classifyd_help_words classifyctl' _ \
  "$R/usr/share/bash-completion/completions/classifyctl")"
for w in classify stream reload --addr; do
  grep -qxF -- "$w" <<<"$words" || fail "completion lacks '$w': $words"
done

step "the packaged daemon classifies"
mkdir -p "$WORK/plugins.d" && mkdir -m 0700 "$WORK/run"
for m in "$R"/etc/classifyd/plugins.d/*.toml; do
  sed "s|= \"/usr/share/classifyd/|= \"$R/usr/share/classifyd/|" "$m" \
    >"$WORK/plugins.d/$(basename "$m")"
done
"$R/usr/bin/classifyd" --config "$R/etc/classifyd/classifyd.toml" \
  --listen 127.0.0.1:0 --port-file "$WORK/port" \
  --plugin-dir "$WORK/plugins.d" --plugin-lib-dir "$PLUGINS" \
  --runtime-dir "$WORK/run" --log-format json 2>"$WORK/daemon.log" &
DAEMON_PID=$!
for _ in $(seq 600); do
  [[ -s "$WORK/port" ]] && break
  kill -0 "$DAEMON_PID" 2>/dev/null || fail "the daemon exited"
  sleep 0.2
done
[[ -s "$WORK/port" ]] || fail "no port file"
out="$("$R/usr/bin/classifyctl" --addr "127.0.0.1:$(cat "$WORK/port")" \
  classify --json --plugin news-topics \
  "国家队在世界杯预选赛中以二比零战胜对手，足球迷彻夜庆祝。")" ||
  fail "classify: $out"
python3 -c 'import json, sys
labels = [l["name"] for l in json.loads(sys.argv[1]).get("labels", [])]
assert "sports" in labels, labels' "$out" || fail "no sports label: $out"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || fail "the daemon did not exit cleanly on SIGTERM"
DAEMON_PID=""
python3 -c 'import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert len(lines) > 3, lines
for line in lines:
    entry = json.loads(line)
    assert set(entry) == {"time", "level", "logger", "message"}, entry
assert any("ready" in json.loads(l)["message"] for l in lines), lines' \
  "$WORK/daemon.log" || fail "--log-format json: not one JSON object a line"
echo "PASS: packages build, lintian clean, installed daemon classifies"
