#!/bin/bash
# What handing plugin calls off the gRPC threads costs: two daemons on the
# same core, one from a base build (e.g. the commit before the invoker,
# where a call without a time limit ran on the gRPC thread) and one from
# this build (every call runs on an invoker worker), each with its default
# settings, driven in turn by the same classifyd-bench runs so that both
# see the same machine. Each repetition runs every mode against both
# daemons, alternating which goes first. Prints the daemon's CPU µs per
# document and the latency of every run, and the medians.
#
#   bench/handoff_cost.sh --base-build-dir DIR [--build-dir DIR] [--reps N]
#                         [--duration S] [--modes "stream unary"]
#                         [--input headline|1k|10k]
#
# A base build of another commit, e.g.:
#   git archive <commit> | tar -x -C build/base && \
#     (cd build/base && deploy/setup.sh --build-dir build/release)
#   bench/handoff_cost.sh --base-build-dir build/base/build/release
#
# stream: 1 ClassifyStream, window 256 (plugin calls of up to 128
# documents); unary: Classify calls, 1 in flight (one plugin call per
# call). Both builds must be Release builds with the bundled model.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
base_dir=""
while [[ $# -gt 0 ]]; do
  if ab_option "$@"; then shift "$ab_shift"; continue; fi
  case $1 in
    --base-build-dir) base_dir=$(realpath -m "$2"); shift 2 ;;
    -h|--help) sed -n '2,22p' "$0" >&2; exit 2 ;;
    *) echo "handoff_cost.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[[ -n $base_dir ]] || { echo "handoff_cost.sh: --base-build-dir is required" >&2; exit 2; }
ab_init
this_build=$build_dir
# start() takes the daemon and its plugins from $daemon and $build_dir.
build_dir=$base_dir daemon=$base_dir/bin/classifyd start base
build_dir=$this_build daemon=$this_build/bin/classifyd start this
wait_ready base this

for rep in $(seq "$reps"); do
  for mode in $modes; do
    for v in $(ab_order base this "$rep"); do ab_run "$mode" "$v" "$rep"; done
  done
done
ab_header "news-topics only"
echo "base: $base_dir; this: $this_build"
for mode in $modes; do
  for v in base this; do ab_report "$mode" "$v" "$v"; done
done
