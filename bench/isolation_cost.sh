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
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
reps=3
modes="stream batch"
inputs="headline 10k"
while [[ $# -gt 0 ]]; do
  if ab_option "$@"; then shift "$ab_shift"; continue; fi
  case $1 in
    --inputs) inputs=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" >&2; exit 2 ;;
    *) echo "isolation_cost.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
ab_init

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

run() {  # mode name rep: one run, and its plugin process's CPU ticks
  local before after
  before=$(child_ticks "${pid[$2]}")
  ab_run "$1" "$2" "$3" --warmup 0
  after=$(child_ticks "${pid[$2]}")
  echo $((after - before)) >>"$tmp/$1.$input.$2.child"
}
for rep in $(seq "$reps"); do
  for mode in $modes; do
    for input in $inputs; do
      for v in $(ab_order inproc isolated "$rep"); do run "$mode" "$v" "$rep"; done
    done
  done
done

input="$inputs" ab_header "news-topics only"
hz=$(getconf CLK_TCK)
printf "%-6s %-8s %-9s %12s %12s %10s %10s %7s\n" mode input daemon \
  "daemon µs/doc" "child µs/doc" "p50 µs" "docs/s" errors
for mode in $modes; do
  for input in $inputs; do
    for v in inproc isolated; do
      tsv=$(ab_tsv "$mode" "$v")
      cpu=$(ab_column "$tsv" '($10 + $11) / $5' | median)
      child=$(paste <(ab_column "$tsv" '$5') "$tmp/$mode.$input.$v.child" |
              awk -v hz="$hz" '{ print $2 * 1e6 / hz / $1 }' | median)
      p50=$(ab_column "$tsv" '$8' | median)
      dps=$(ab_column "$tsv" '$7' | median)
      errors=$(ab_column "$tsv" '$13' | awk '{ n += $1 } END { print n + 0 }')
      printf "%-6s %-8s %-9s %12.2f %12.2f %10.1f %10.0f %7d\n" \
        "$mode" "$input" "$v" "$cpu" "$child" "$p50" "$dps" "$errors"
    done
  done
done
