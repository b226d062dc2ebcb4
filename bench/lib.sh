# Sourced by the A/B cost scripts (handoff_cost.sh, isolation_cost.sh,
# metrics_cost.sh, plugin_timeout_cost.sh). Each runs two daemons on one
# core, drives them in turn with the same classifyd-bench runs so both see
# the same machine, and prints the daemon's CPU per document of every run
# and the medians.
#
# Sourcing sets the defaults (root, reps, duration, modes, input,
# build_dir, server_core, client_core). Then:
#   ab_option ARGS...      parses one option every script takes (--reps,
#                          --duration, --modes, --input, --build-dir);
#                          returns 1 for any other, else sets ab_shift
#   ab_init                sets daemon and bench from build_dir, makes $tmp;
#                          every daemon started is stopped and $tmp removed
#                          on exit
#   start NAME ARGS...     runs one daemon on $server_core with the bundled
#                          classifiers (or the manifests in $PLUGIN_DIR) and
#                          ARGS; sets addr[NAME] and pid[NAME]
#   wait_ready NAME...     waits until their news-topics is ready
#   ab_run MODE NAME REP [ARGS...]
#                          one classifyd-bench run of MODE (stream: $streams
#                          streams, window 256; unary: 1 call in flight; batch: 64
#                          documents a call, 1 in flight) on $input against
#                          NAME; its row goes to $(ab_tsv MODE NAME)
#   ab_order A B REP       "A B", or "B A" on even repetitions
#   ab_report MODE NAME LABEL
#                          prints every run of MODE against NAME and the
#                          medians, headed by LABEL
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
reps=5
duration=2
modes="stream unary"
input=headline
build_dir=$root/build/release
server_core=1
client_core=0
streams=1
ab_shift=0

ab_option() {  # option [value]
  ab_shift=2
  case $1 in
    --reps) reps=$2 ;;
    --duration) duration=$2 ;;
    --modes) modes=$2 ;;
    --input) input=$2 ;;
    --build-dir) build_dir=$(realpath -m "$2") ;;
    *) ab_shift=0; return 1 ;;
  esac
  [[ $# -ge 2 ]] || { echo "$(basename "$0"): $1 needs a value" >&2; exit 2; }
}

ab_init() {
  daemon=$build_dir/bin/classifyd
  bench=$build_dir/bin/classifyd-bench
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/classifyd-$(basename "$0" .sh).XXXXXX")
  pids=()
  declare -gA addr pid
  trap ab_cleanup EXIT
}

ab_cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}

start() {  # name extra-args...
  local name=$1; shift
  mkdir -p "$tmp/$name"
  taskset -c "$server_core" "$daemon" --listen 127.0.0.1:0 \
    --port-file "$tmp/$name/port" \
    --plugin-dir "${PLUGIN_DIR:-$root/models/plugins.d}" \
    --plugin-lib-dir "$build_dir/lib/classifyd/plugins" \
    --runtime-dir "$tmp/$name" --admin-socket none --watch false \
    --log-level warn "$@" >"$tmp/$name/log" 2>&1 &
  pids+=($!)
  pid[$name]=$!
  for _ in $(seq 300); do
    if [[ -s $tmp/$name/port ]]; then
      addr[$name]=127.0.0.1:$(cat "$tmp/$name/port")
      return 0
    fi
    sleep 0.1
  done
  cat "$tmp/$name/log" >&2
  return 1
}

wait_ready() {  # name...
  local name
  for name in "$@"; do
    taskset -c "$client_core" "$bench" wait --addr "${addr[$name]}" \
      --classifier news-topics --timeout 120 >&2
  done
}

ab_tsv() { echo "$tmp/$1.$input.$2.tsv"; }  # mode name

ab_run() {  # mode name rep [classifyd-bench args...]
  local mode=$1 name=$2 rep=$3 args=() log
  shift 3
  log=$tmp/$mode.$input.$name.$rep.txt
  case $mode in
    stream) args=(stream --streams "$streams" --window 256) ;;
    unary) args=(unary --concurrency 1) ;;
    batch) args=(batch --batch 64 --concurrency 1) ;;
    *) echo "$(basename "$0"): unknown mode '$mode'" >&2; exit 2 ;;
  esac
  taskset -c "$client_core" "$bench" "${args[@]}" --addr "${addr[$name]}" \
    --server-pid "${pid[$name]}" --classifier news-topics --input "$input" \
    --duration "$duration" --tsv "$(ab_tsv "$mode" "$name")" "$@" \
    >"$log" 2>&1 || { cat "$log" >&2; return 1; }
}

ab_order() {  # a b rep
  if (( $3 % 2 == 0 )); then echo "$2 $1"; else echo "$1 $2"; fi
}

median() {  # numbers on stdin
  sort -g | awk '{ x[n++] = $1 }
    END { print (n % 2) ? x[(n - 1) / 2] : (x[n / 2 - 1] + x[n / 2]) / 2 }'
}

# One value per run from classifyd-bench's TSV (bench_common.cc): columns
# 5 docs, 7 docs_per_s, 8 p50_us, 10 server_user_us, 11 server_sys_us,
# 13 errors.
ab_column() {  # tsv awk-expression
  awk -F'\t' "NR > 1 { print $2 }" "$1"
}

ab_report() {  # mode name label
  local tsv cpu p50 dps errors
  tsv=$(ab_tsv "$1" "$2")
  awk -F'\t' -v m="$1" -v l="$3" 'NR > 1 { printf "%-6s %-14s run %d: %.3f µs/doc, p50 %.1f µs, %.0f docs/s, %d errors\n", m, l, NR - 1, ($10 + $11) / $5, $8, $7, $13 }' "$tsv"
  cpu=$(ab_column "$tsv" '($10 + $11) / $5' | median)
  p50=$(ab_column "$tsv" '$8' | median)
  dps=$(ab_column "$tsv" '$7' | median)
  errors=$(ab_column "$tsv" '$13' | awk '{ n += $1 } END { print n + 0 }')
  printf "%-6s %-14s median: %.3f µs/doc server CPU, p50 %.1f µs, %.0f docs/s, %d errors\n" \
    "$1" "$3" "$cpu" "$p50" "$dps" "$errors"
}

ab_header() {  # what was run
  echo "$input, ${reps} runs of ${duration}s per mode and daemon, daemons on core $server_core, $1"
  echo "load avg: $(cut -d' ' -f1-3 /proc/loadavg)"
}
