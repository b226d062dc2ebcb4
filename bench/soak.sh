#!/bin/bash
# Soak test of hot reloading: starts the daemon with the bundled classifiers,
# streams headlines into it on 4 streams, and reloads the news-topics
# classifier through the admin socket at a fixed interval.
#
#   bench/soak.sh [--seconds S] [--baseline-seconds S] [--interval-ms MS]
#                 [--streams N] [--build-dir DIR] [--no-build]
#
# Defaults: 60 s of reloads, one per second, after 10 s without.
# `--seconds 20 --interval-ms 100` does 200 reloads in 20 s (the memory
# check: resident memory must not grow by more than 10 %).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build_dir=$root/build/release
seconds=60
baseline=10
interval=1000
streams=4
build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --baseline-seconds) baseline=$2; shift 2 ;;
    --interval-ms) interval=$2; shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "soak.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if [[ $build == 1 ]]; then
  "$root/deploy/setup.sh" --build-dir "$build_dir" >/dev/null
fi

work=$(mktemp -d)
trap 'kill $daemon 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
"$build_dir/bin/classifyd" --listen 127.0.0.1:0 --port-file "$work/port" \
  --plugin-dir "$root/models/plugins.d" \
  --plugin-lib-dir "$build_dir/lib/classifyd/plugins" \
  --runtime-dir "$work" --admin-socket "$work/admin/admin.sock" \
  --log-level warn 2>"$work/daemon.log" &
daemon=$!
for _ in $(seq 200); do [[ -s "$work/port" ]] && break; sleep 0.1; done
[[ -s "$work/port" ]] || { echo "soak: daemon did not start" >&2; cat "$work/daemon.log" >&2; exit 1; }

"$build_dir/bin/classifyd-soak" --addr "127.0.0.1:$(cat "$work/port")" \
  --admin-socket "$work/admin/admin.sock" --server-pid "$daemon" \
  --classifier news-topics --streams "$streams" \
  --baseline-seconds "$baseline" --seconds "$seconds" \
  --reload-interval-ms "$interval"
