#!/bin/bash
# What a per-call plugin time limit costs on the request path: two daemons
# on the same core, one with --plugin-timeout-ms 0 and one with a limit
# (both hand every plugin call to a worker; the limit adds a timer entry
# per call), driven in turn by the same classifyd-bench runs, so both see
# the same machine. Each repetition runs every mode against both daemons,
# alternating which goes first. Prints the daemon's CPU µs per document
# and the latency of every run, and the medians.
#
#   bench/plugin_timeout_cost.sh [--reps N] [--duration S] [--timeout-ms MS]
#                                [--modes "stream unary"]
#                                [--input headline|1k|10k] [--build-dir DIR]
#
# stream: 1 ClassifyStream, window 256 (plugin calls of up to 128
# documents); unary: Classify calls, 1 in flight (one plugin call per
# document). Needs a Release build (./test.sh or deploy/setup.sh) and the
# bundled model.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
timeout_ms=1000
while [[ $# -gt 0 ]]; do
  if ab_option "$@"; then shift "$ab_shift"; continue; fi
  case $1 in
    --timeout-ms) timeout_ms=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" >&2; exit 2 ;;
    *) echo "plugin_timeout_cost.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
ab_init
start off --plugin-timeout-ms 0
start on --plugin-timeout-ms "$timeout_ms"
wait_ready off on

for rep in $(seq "$reps"); do
  for mode in $modes; do
    for v in $(ab_order off on "$rep"); do ab_run "$mode" "$v" "$rep"; done
  done
done
ab_header "news-topics only"
for mode in $modes; do
  ab_report "$mode" off "timeout 0"
  ab_report "$mode" on "timeout $timeout_ms"
done
# A limit that fired would make the comparison meaningless.
timeouts=$(grep -c "did not return within" "$tmp/on/log" || true)
echo "plugin calls past the limit: $timeouts"
