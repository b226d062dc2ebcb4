#!/bin/bash
# What the Prometheus metrics cost on the request path: two daemons on the
# same core, one without and one with --metrics-listen, driven in turn by
# the same classifyd-bench stream run (headlines, 1 stream, window 256), so
# both see the same machine. Prints the daemon's CPU µs per document of
# every run and the medians.
#
#   bench/metrics_cost.sh [--reps N] [--duration S] [--streams N]
#                         [--input headline|1k|10k] [--build-dir DIR]
#
# Needs a Release build (./test.sh or deploy/setup.sh) and the bundled model.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reps=5
duration=2
streams=1
input=headline
build_dir=$root/build/release
server_core=1
client_core=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --reps) reps=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    --input) input=$2; shift 2 ;;
    --build-dir) build_dir=$(realpath -m "$2"); shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" >&2; exit 2 ;;
    *) echo "metrics_cost.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
daemon=$build_dir/bin/classifyd
bench=$build_dir/bin/classifyd-bench
# shellcheck source=ab_daemons.sh
source "$root/bench/ab_daemons.sh"
start off
start on --metrics-listen 127.0.0.1:0
wait_ready off on

declare -A runs
for rep in $(seq "$reps"); do
  for v in off on; do
    tsv=$tmp/$v.tsv
    taskset -c "$client_core" "$bench" stream --addr "${addr[$v]}" \
      --server-pid "${pid[$v]}" --classifier news-topics --input "$input" \
      --streams "$streams" --window 256 --duration "$duration" \
      --tsv "$tsv" >"$tmp/$v.$rep.txt" 2>&1
  done
done
echo "stream x$streams, $input, ${reps} runs of ${duration}s each, daemons on core $server_core"
echo "load avg: $(cut -d' ' -f1-3 /proc/loadavg)"
median() { sort -g | awk '{ x[n++] = $1 } END { print (n % 2) ? x[(n - 1) / 2] : (x[n / 2 - 1] + x[n / 2]) / 2 }'; }
for v in off on; do
  # TSV columns (bench_common.cc): 5 docs, 7 docs_per_s, 10 server_user_us,
  # 11 server_sys_us.
  awk -F'\t' -v v="$v" 'NR > 1 { printf "metrics %-3s run %d: %.3f µs/doc, %.0f docs/s\n", v, NR - 1, ($10 + $11) / $5, $7 }' "$tmp/$v.tsv"
done
for v in off on; do
  cpu=$(awk -F'\t' 'NR > 1 { print ($10 + $11) / $5 }' "$tmp/$v.tsv" | median)
  dps=$(awk -F'\t' 'NR > 1 { print $7 }' "$tmp/$v.tsv" | median)
  printf "metrics %-3s median: %.3f µs/doc server CPU, %.0f docs/s\n" "$v" "$cpu" "$dps"
done
