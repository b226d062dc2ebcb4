#!/bin/bash
# What the Prometheus metrics cost on the request path: two daemons on the
# same core, one without and one with --metrics-listen, driven in turn by
# the same classifyd-bench stream runs (1 stream, window 256), so both see
# the same machine. Prints the daemon's CPU µs per document of every run
# and the medians.
#
#   bench/metrics_cost.sh [--reps N] [--duration S] [--streams N]
#                         [--input headline|1k|10k] [--build-dir DIR]
#
# Needs a Release build (./test.sh or deploy/setup.sh) and the bundled model.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
while [[ $# -gt 0 ]]; do
  if ab_option "$@"; then shift "$ab_shift"; continue; fi
  case $1 in
    --streams) streams=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" >&2; exit 2 ;;
    *) echo "metrics_cost.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
ab_init
start off
start on --metrics-listen 127.0.0.1:0
wait_ready off on

for rep in $(seq "$reps"); do
  for v in $(ab_order off on "$rep"); do
    ab_run stream "$v" "$rep"
  done
done
ab_header "stream x$streams"
for v in off on; do ab_report stream "$v" "metrics $v"; done
