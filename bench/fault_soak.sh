#!/bin/bash
# Fault soak: 4 streams of headlines for the bundled news-topics classifier
# while, mixed into the same streams, every 500th document makes a
# process-isolated classifier crash (SIGSEGV in its child) and every
# 1,000th makes an in-process classifier hang for 2 s (time limit 500 ms).
# Checks that every other document is answered without error, health stays
# SERVING (probed every 100 ms, p99 <= 50 ms), and the daemon's memory and
# threads stay flat. Prints the figures; exits 1 if a check fails.
#
#   bench/fault_soak.sh [--seconds S] [--streams N] [--crash-every N]
#                       [--hang-every N] [--build-dir DIR] [--no-build]
#
# --crash-every 0 leaves the crashing classifier out.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build_dir=$root/build/release
seconds=60
streams=4
crash_every=500
hang_every=1000
build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    --crash-every) crash_every=$2; shift 2 ;;
    --hang-every) hang_every=$2; shift 2 ;;
    --build-dir) build_dir=$(realpath -m "$2"); shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "fault_soak.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if [[ $build == 1 ]]; then
  "$root/deploy/setup.sh" --build-dir "$build_dir" >/dev/null
fi
test_plugins=$build_dir/lib/classifyd/test-plugins
[[ -f $test_plugins/crash_hang.so ]] || {
  echo "fault_soak.sh: $test_plugins/crash_hang.so missing (build the tests)" >&2
  exit 1; }

work=$(mktemp -d)
daemon=""
trap '[[ -z $daemon ]] || kill $daemon 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -m 700 "$work/plugins.d"
models=$root/models
sed -e "s|\"\.\./|\"$models/|" "$models/plugins.d/news-topics.toml" \
  >"$work/plugins.d/news-topics.toml"
classifiers=(news-topics hangy)
if (( crash_every > 0 )); then
  classifiers+=(crashy)
  cat >"$work/plugins.d/crashy.toml" <<TOML
plugin = "$test_plugins/crash_hang.so"
isolation = "process"
timeout_ms = 2000
[options]
label = "crashy"
crash_marker = "FAULT-SOAK-CRASH"
TOML
fi
cat >"$work/plugins.d/hangy.toml" <<TOML
plugin = "$test_plugins/crash_hang.so"
timeout_ms = 500
[options]
label = "hangy"
hang_marker = "FAULT-SOAK-HANG"
hang_ms = 2000
TOML

"$build_dir/bin/classifyd" --listen 127.0.0.1:0 --port-file "$work/port" \
  --plugin-dir "$work/plugins.d" \
  --plugin-lib-dir "$build_dir/lib/classifyd/plugins" \
  --runtime-dir "$work" --log-level warn 2>"$work/daemon.log" &
daemon=$!
for _ in $(seq 200); do [[ -s "$work/port" ]] && break; sleep 0.1; done
[[ -s "$work/port" ]] || {
  echo "fault_soak.sh: daemon did not start" >&2; cat "$work/daemon.log" >&2; exit 1; }
addr=127.0.0.1:$(cat "$work/port")
for c in "${classifiers[@]}"; do
  "$build_dir/bin/classifyd-bench" wait --addr "$addr" --classifier "$c" \
    --timeout 60 >/dev/null
done

status=0
"$build_dir/bin/classifyd-fault-soak" --addr "$addr" --server-pid "$daemon" \
  --seconds "$seconds" --streams "$streams" \
  --crash-every "$crash_every" --crash-classifier crashy \
  --crash-marker FAULT-SOAK-CRASH \
  --hang-every "$hang_every" --hang-classifier hangy \
  --hang-marker FAULT-SOAK-HANG || status=$?
kill -0 "$daemon" 2>/dev/null || {
  echo "fault_soak.sh: the daemon died; its log:" >&2; tail -20 "$work/daemon.log" >&2
  exit 1; }
echo "daemon log: $(grep -c . "$work/daemon.log") lines, e.g.:"
grep -m3 . "$work/daemon.log" || true
exit $status
