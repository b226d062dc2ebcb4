#!/bin/bash
# What running a classifier in its own process (isolation = "process")
# costs: two daemons on the same core, each with only the news-topics
# classifier, one in-process and one isolated, driven in turn by the same
# classifyd-bench runs. Each repetition runs every mode and input against
# both daemons, alternating which goes first. Prints µs of CPU per document
# (the daemon's, plus its plugin process's for the isolated one), latency
# and throughput of every run, and the medians.
#
#   bench/isolation_cost.sh [--reps N] [--duration S] [--modes "stream batch"]
#                           [--inputs "headline 10k"] [--build-dir DIR]
#
# stream: 1 ClassifyStream, window 256; batch: ClassifyBatch calls of 64
# documents, 1 in flight. Needs a Release build (./test.sh or
# deploy/setup.sh) and the bundled model.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reps=3
duration=2
modes="stream batch"
inputs="headline 10k"
build_dir=$root/build/release
server_core=1
client_core=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --reps) reps=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --inputs) inputs=$2; shift 2 ;;
    --build-dir) build_dir=$(realpath -m "$2"); shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" >&2; exit 2 ;;
    *) echo "isolation_cost.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
daemon=$build_dir/bin/classifyd
bench=$build_dir/bin/classifyd-bench
# shellcheck source=ab_daemons.sh
source "$root/bench/ab_daemons.sh"

# The bundled news-topics manifest with absolute paths, as is and isolated.
bundled=$root/models/plugins.d/news-topics.toml
for v in inproc isolated; do
  mkdir -p "$tmp/$v.d"
  {
    [[ $v == isolated ]] && echo 'isolation = "process"'
    sed -e "s|\"\.\./|\"$root/models/|" "$bundled"
  } >"$tmp/$v.d/news-topics.toml"
done
PLUGIN_DIR=$tmp/inproc.d start inproc
PLUGIN_DIR=$tmp/isolated.d start isolated
wait_ready inproc isolated

# CPU ticks (user + system) of the daemon's child processes.
child_ticks() {  # daemon-pid
  local total=0 c
  for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    total=$((total + $(awk '{ print $14 + $15 }' /proc/"$c"/stat)))
  done
  echo "$total"
}

run() {  # mode input variant rep
  local mode=$1 input=$2 v=$3 rep=$4 args=() before after
  case $mode in
    stream) args=(stream --streams 1 --window 256) ;;
    batch) args=(batch --batch 64 --concurrency 1) ;;
    *) echo "isolation_cost.sh: unknown mode '$mode'" >&2; exit 2 ;;
  esac
  before=$(child_ticks "${pid[$v]}")
  taskset -c "$client_core" "$bench" "${args[@]}" --addr "${addr[$v]}" \
    --server-pid "${pid[$v]}" --classifier news-topics --input "$input" \
    --duration "$duration" --warmup 0 --tsv "$tmp/$mode.$input.$v.tsv" \
    >"$tmp/$mode.$input.$v.$rep.txt" 2>&1
  after=$(child_ticks "${pid[$v]}")
  echo $((after - before)) >>"$tmp/$mode.$input.$v.child"
}
for rep in $(seq "$reps"); do
  order="inproc isolated"
  if (( rep % 2 == 0 )); then order="isolated inproc"; fi
  for mode in $modes; do
    for input in $inputs; do
      for v in $order; do run "$mode" "$input" "$v" "$rep"; done
    done
  done
done

echo "${reps} runs of ${duration}s per mode, input and daemon, daemons on core $server_core, news-topics only"
echo "load avg: $(cut -d' ' -f1-3 /proc/loadavg)"
hz=$(getconf CLK_TCK)
median() { sort -g | awk '{ x[n++] = $1 } END { print (n % 2) ? x[(n - 1) / 2] : (x[n / 2 - 1] + x[n / 2]) / 2 }'; }
printf "%-6s %-8s %-9s %12s %12s %10s %10s %7s\n" mode input daemon \
  "daemon µs/doc" "child µs/doc" "p50 µs" "docs/s" errors
for mode in $modes; do
  for input in $inputs; do
    for v in inproc isolated; do
      tsv=$tmp/$mode.$input.$v.tsv
      # TSV columns (bench_common.cc): 5 docs, 7 docs_per_s, 8 p50_us,
      # 10 server_user_us, 11 server_sys_us, 13 errors.
      cpu=$(awk -F'\t' 'NR > 1 { print ($10 + $11) / $5 }' "$tsv" | median)
      child=$(paste <(awk -F'\t' 'NR > 1 { print $5 }' "$tsv") \
                    "$tmp/$mode.$input.$v.child" |
              awk -v hz="$hz" '{ print $2 * 1e6 / hz / $1 }' | median)
      p50=$(awk -F'\t' 'NR > 1 { print $8 }' "$tsv" | median)
      dps=$(awk -F'\t' 'NR > 1 { print $7 }' "$tsv" | median)
      errors=$(awk -F'\t' 'NR > 1 { n += $13 } END { print n + 0 }' "$tsv")
      printf "%-6s %-8s %-9s %12.2f %12.2f %10.1f %10.0f %7d\n" \
        "$mode" "$input" "$v" "$cpu" "$child" "$p50" "$dps" "$errors"
    done
  done
done
