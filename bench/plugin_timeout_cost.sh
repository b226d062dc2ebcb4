#!/bin/bash
# What a per-call plugin time limit costs on the request path: two daemons
# on the same core, one with --plugin-timeout-ms 0 and one with a limit
# (both hand every plugin call to a worker; the limit adds a timer entry
# per call), driven in turn by the same classifyd-bench
# runs, so both see the same machine. Each repetition runs every mode
# against both daemons, alternating which goes first. Prints the daemon's
# CPU µs per document and the latency of every run, and the medians.
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
root=$(cd "$(dirname "$0")/.." && pwd)
reps=5
duration=2
timeout_ms=1000
modes="stream unary"
input=headline
build_dir=$root/build/release
server_core=1
client_core=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --reps) reps=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --timeout-ms) timeout_ms=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --input) input=$2; shift 2 ;;
    --build-dir) build_dir=$(realpath -m "$2"); shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" >&2; exit 2 ;;
    *) echo "plugin_timeout_cost.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
daemon=$build_dir/bin/classifyd
bench=$build_dir/bin/classifyd-bench
# shellcheck source=ab_daemons.sh
source "$root/bench/ab_daemons.sh"
start off --plugin-timeout-ms 0
start on --plugin-timeout-ms "$timeout_ms"
wait_ready off on

run() {  # mode variant rep
  local mode=$1 v=$2 rep=$3 args=()
  case $mode in
    stream) args=(stream --streams 1 --window 256) ;;
    unary) args=(unary --concurrency 1) ;;
    *) echo "plugin_timeout_cost.sh: unknown mode '$mode'" >&2; exit 2 ;;
  esac
  taskset -c "$client_core" "$bench" "${args[@]}" --addr "${addr[$v]}" \
    --server-pid "${pid[$v]}" --classifier news-topics --input "$input" \
    --duration "$duration" --tsv "$tmp/$mode.$v.tsv" \
    >"$tmp/$mode.$v.$rep.txt" 2>&1
}
for rep in $(seq "$reps"); do
  order="off on"
  if (( rep % 2 == 0 )); then order="on off"; fi
  for mode in $modes; do
    for v in $order; do run "$mode" "$v" "$rep"; done
  done
done

label() { [[ $1 == off ]] && echo "timeout 0" || echo "timeout $timeout_ms"; }
echo "$input, ${reps} runs of ${duration}s per mode and daemon, daemons on core $server_core, news-topics only"
echo "load avg: $(cut -d' ' -f1-3 /proc/loadavg)"
median() { sort -g | awk '{ x[n++] = $1 } END { print (n % 2) ? x[(n - 1) / 2] : (x[n / 2 - 1] + x[n / 2]) / 2 }'; }
for mode in $modes; do
  for v in off on; do
    # TSV columns (bench_common.cc): 5 docs, 7 docs_per_s, 8 p50_us,
    # 10 server_user_us, 11 server_sys_us, 13 errors.
    awk -F'\t' -v m="$mode" -v l="$(label "$v")" 'NR > 1 { printf "%-6s %-12s run %d: %.3f µs/doc, p50 %.1f µs, %.0f docs/s, %d errors\n", m, l, NR - 1, ($10 + $11) / $5, $8, $7, $13 }' "$tmp/$mode.$v.tsv"
  done
done
for mode in $modes; do
  for v in off on; do
    tsv=$tmp/$mode.$v.tsv
    cpu=$(awk -F'\t' 'NR > 1 { print ($10 + $11) / $5 }' "$tsv" | median)
    p50=$(awk -F'\t' 'NR > 1 { print $8 }' "$tsv" | median)
    dps=$(awk -F'\t' 'NR > 1 { print $7 }' "$tsv" | median)
    errors=$(awk -F'\t' 'NR > 1 { n += $13 } END { print n + 0 }' "$tsv")
    printf "%-6s %-12s median: %.3f µs/doc server CPU, p50 %.1f µs, %.0f docs/s, %d errors\n" \
      "$mode" "$(label "$v")" "$cpu" "$p50" "$dps" "$errors"
  done
done
# A limit that fired would make the comparison meaningless.
timeouts=$(grep -c "did not return within" "$tmp/on/log" || true)
echo "plugin calls past the limit: $timeouts"
