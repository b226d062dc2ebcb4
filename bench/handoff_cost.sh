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
root=$(cd "$(dirname "$0")/.." && pwd)
reps=5
duration=2
modes="stream unary"
input=headline
build_dir=$root/build/release
base_dir=""
server_core=1
client_core=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --reps) reps=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --input) input=$2; shift 2 ;;
    --build-dir) build_dir=$(realpath -m "$2"); shift 2 ;;
    --base-build-dir) base_dir=$(realpath -m "$2"); shift 2 ;;
    -h|--help) sed -n '2,22p' "$0" >&2; exit 2 ;;
    *) echo "handoff_cost.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[[ -n $base_dir ]] || { echo "handoff_cost.sh: --base-build-dir is required" >&2; exit 2; }
bench=$build_dir/bin/classifyd-bench
this_build=$build_dir
# shellcheck source=ab_daemons.sh
source "$root/bench/ab_daemons.sh"
# start() takes the daemon and its plugins from $daemon and $build_dir.
build_dir=$base_dir daemon=$base_dir/bin/classifyd start base
build_dir=$this_build daemon=$this_build/bin/classifyd start this
build_dir=$this_build
wait_ready base this

run() {  # mode variant rep
  local mode=$1 v=$2 rep=$3 args=()
  case $mode in
    stream) args=(stream --streams 1 --window 256) ;;
    unary) args=(unary --concurrency 1) ;;
    *) echo "handoff_cost.sh: unknown mode '$mode'" >&2; exit 2 ;;
  esac
  taskset -c "$client_core" "$bench" "${args[@]}" --addr "${addr[$v]}" \
    --server-pid "${pid[$v]}" --classifier news-topics --input "$input" \
    --duration "$duration" --tsv "$tmp/$mode.$v.tsv" \
    >"$tmp/$mode.$v.$rep.txt" 2>&1
}
for rep in $(seq "$reps"); do
  order="base this"
  if (( rep % 2 == 0 )); then order="this base"; fi
  for mode in $modes; do
    for v in $order; do run "$mode" "$v" "$rep"; done
  done
done

echo "$input, ${reps} runs of ${duration}s per mode and daemon, daemons on core $server_core, news-topics only"
echo "base: $base_dir; this: $this_build"
echo "load avg: $(cut -d' ' -f1-3 /proc/loadavg)"
median() { sort -g | awk '{ x[n++] = $1 } END { print (n % 2) ? x[(n - 1) / 2] : (x[n / 2 - 1] + x[n / 2]) / 2 }'; }
for mode in $modes; do
  for v in base this; do
    # TSV columns (bench_common.cc): 5 docs, 7 docs_per_s, 8 p50_us,
    # 10 server_user_us, 11 server_sys_us, 13 errors.
    tsv=$tmp/$mode.$v.tsv
    awk -F'\t' -v m="$mode" -v l="$v" 'NR > 1 { printf "%-6s %-5s run %d: %.3f µs/doc, p50 %.1f µs, %.0f docs/s, %d errors\n", m, l, NR - 1, ($10 + $11) / $5, $8, $7, $13 }' "$tsv"
    cpu=$(awk -F'\t' 'NR > 1 { print ($10 + $11) / $5 }' "$tsv" | median)
    p50=$(awk -F'\t' 'NR > 1 { print $8 }' "$tsv" | median)
    dps=$(awk -F'\t' 'NR > 1 { print $7 }' "$tsv" | median)
    errors=$(awk -F'\t' 'NR > 1 { n += $13 } END { print n + 0 }' "$tsv")
    printf "%-6s %-5s median: %.3f µs/doc server CPU, p50 %.1f µs, %.0f docs/s, %d errors\n" \
      "$mode" "$v" "$cpu" "$p50" "$dps" "$errors"
  done
done
