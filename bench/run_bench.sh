#!/bin/bash
# Runs the classifyd benchmark: builds (Release), starts the daemon pinned to
# one core, drives it from the other with classifyd-bench, and prints a
# table of medians with ratios against the in-process reference.
#
#   bench/run_bench.sh [options]
#
#   --duration S      seconds of load per run; gRPC runs then drain what is
#                     in flight, all of it measured (default 2)
#   --warmup S        a discarded run of this length before each (default 0.5)
#   --reps N          repetitions of every scenario, interleaved (default 3)
#   --inputs "..."    subset of: headline 1k 10k (default all)
#   --scenarios "..." subset of: inprocess unary-c1 unary-c16 stream-x1
#                     stream-x4 batch-64 http-unary-c1 http-unary-c16
#                     http-batch-64 client-ctl client-python client-node
#                     client-go (default all). client-*: a shipped client's
#                     streaming helper (classifyctl stream, the Python, Node
#                     and Go examples) run by `classifyd-bench client` on
#                     --client-docs documents, headlines only; client-node
#                     and client-go are skipped, saying why, without node
#                     or the Go client built
#   --plugin-dir DIR  manifests (default models/plugins.d)
#   --classifier NAME classifier to benchmark (default news-topics)
#   --model FILE      benchmark this .ftz instead: a private manifest is
#                     written, copying the options of the real one if any
#   --server-core N   core for the daemon and the in-process run (default 1)
#   --client-core N   core for the load generator (default 0)
#   --client-docs N   documents per client-* run (default 100000)
#   --build-dir DIR   (default build/release)
#   --no-build        use the binaries already built
#   --out DIR         where results go (default <build-dir>/bench-results/<time>)
#   --peers "..."     peer servers run interleaved with classifyd on every
#                     gRPC scenario, same model, same core: subset of
#                     sync (bench/peers/sync_server.cc, a plain synchronous
#                     C++ server) and python (bench/peers/python_server.py,
#                     grpcio + the fasttext module); "" for none
#                     (default "sync python")
#
# On 2 cores, the gRPC and client-* scenarios on headlines with both peers
# (--inputs headline, 3 reps) take about 4.5 minutes; every input longer.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

duration=2
warmup=0.5
reps=3
inputs="headline 1k 10k"
scenarios="inprocess unary-c1 unary-c16 stream-x1 stream-x4 batch-64"
scenarios+=" http-unary-c1 http-unary-c16 http-batch-64"
scenarios+=" client-ctl client-python client-node client-go"
client_docs=100000
plugin_dir=$root/models/plugins.d
classifier=news-topics
model=""
server_core=1
client_core=0
build_dir=$root/build/release
build=1
out=""
peers="sync python"

usage() { sed -n '2,40p' "$0" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --client-docs) client_docs=$2; shift 2 ;;
    --inputs) inputs=$2; shift 2 ;;
    --scenarios) scenarios=$2; shift 2 ;;
    --plugin-dir) plugin_dir=$(cd "$2" && pwd); shift 2 ;;
    --classifier) classifier=$2; shift 2 ;;
    --model) model=$(realpath "$2"); shift 2 ;;
    --server-core) server_core=$2; shift 2 ;;
    --client-core) client_core=$2; shift 2 ;;
    --build-dir) build_dir=$(realpath -m "$2"); shift 2 ;;
    --no-build) build=0; shift ;;
    --out) out=$(realpath -m "$2"); shift 2 ;;
    --peers) peers=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "run_bench.sh: unknown option '$1'" >&2; usage ;;
  esac
done

log() { echo "[run_bench] $*" >&2; }

# --- Build ------------------------------------------------------------------
if [[ $build -eq 1 ]]; then
  if [[ ! -f $build_dir/build.ninja ]]; then
    cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCLASSIFYD_BUILD_BENCH=ON >&2
  fi
  log "building classifyd, fasttext plugin, classifyd-bench in $build_dir"
  ninja -C "$build_dir" -j2 classifyd fasttext classifyd-bench \
    classifyd-peer-sync classifyd_python_client classifyctl >&2
  if ninja -C "$build_dir" -t targets all | grep -q '^classifyd_go_client:'; then
    ninja -C "$build_dir" -j2 classifyd_go_client >&2
  fi
fi
daemon=$build_dir/bin/classifyd
bench=$build_dir/bin/classifyd-bench
classifyctl=$build_dir/bin/classifyctl
go_client=$build_dir/clients/go/classify_stream
node_modules=$build_dir/clients/node/node_modules
plugin_lib_dir=$build_dir/lib/classifyd/plugins
sync_peer=$build_dir/bin/classifyd-peer-sync
python_stubs=$build_dir/clients/python
needed=("$daemon" "$bench" "$plugin_lib_dir/fasttext.so")
for peer in $peers; do
  case $peer in
    sync) needed+=("$sync_peer") ;;
    python) needed+=("$python_stubs/classifyd/v1/classifier_pb2.py") ;;
    *) echo "run_bench.sh: unknown peer '$peer'" >&2; exit 2 ;;
  esac
done
for f in "${needed[@]}"; do
  [[ -e $f ]] || { echo "run_bench.sh: missing $f (build first)" >&2; exit 1; }
done

# Shipped clients the client-* scenarios can run; the others are dropped,
# saying why.
declare -A client_missing=()
command -v node >/dev/null || client_missing[client-node]="node is not installed"
if [[ -z ${client_missing[client-node]:-} && ! -d $node_modules ]]; then
  if [[ $build -eq 1 && -f $build_dir/clients/node/package-lock.json ]] &&
     command -v npm >/dev/null; then
    log "installing the Node client's packages (npm ci) in $build_dir/clients/node"
    (cd "$build_dir/clients/node" &&
     npm ci --prefer-offline --no-audit --no-fund --loglevel=error >&2) ||
      client_missing[client-node]="npm ci failed in $build_dir/clients/node"
  else
    client_missing[client-node]="no $node_modules (run the tests or npm ci there)"
  fi
fi
[[ -x $go_client ]] ||
  client_missing[client-go]="no Go client $go_client (go, protoc-gen-go or protoc-gen-go-grpc missing at configure time)"
[[ -x $classifyctl ]] || client_missing[client-ctl]="no $classifyctl"
kept=""
for scenario in $scenarios; do
  if [[ -n ${client_missing[$scenario]:-} ]]; then
    log "skipping $scenario: ${client_missing[$scenario]}"
  else
    kept+=" $scenario"
  fi
done
scenarios=$kept

cores=$(nproc)
if (( server_core >= cores || client_core >= cores )); then
  echo "run_bench.sh: this machine has $cores cores; pick others with" \
       "--server-core/--client-core" >&2
  exit 1
fi

# --- Classifier and model ---------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/classifyd-bench.XXXXXX")
declare -A server_pid server_addr
cleanup() {
  local pid
  for pid in "${server_pid[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

manifest=$plugin_dir/$classifier.toml
# Value of `key = ...` in the top level (section "") or in [options].
toml_value() {  # file section key
  awk -v want_section="$2" -v key="$3" '
    /^[ \t]*\[/ { section = $0; gsub(/[ \t\[\]]/, "", section); next }
    section == want_section {
      line = $0; sub(/#.*/, "", line)
      if (match(line, "^[ \t]*" key "[ \t]*=")) {
        v = substr(line, RLENGTH + 1); gsub(/^[ \t"]+|[ \t"]+$/, "", v)
        print v; exit
      }
    }' "$1"
}

if [[ -n $model ]]; then
  plugin_dir=$tmp/plugins.d
  mkdir -p "$plugin_dir"
  {
    echo 'plugin = "fasttext"'
    echo "model = \"$model\""
    if [[ -f $manifest ]]; then
      v=$(toml_value "$manifest" "" weight)
      [[ -z $v ]] || echo "weight = $v"
    fi
    echo '[options]'
    if [[ -f $manifest ]]; then
      for k in top_k threshold label_prefix; do
        v=$(toml_value "$manifest" options $k)
        [[ -n $v ]] || continue
        if [[ $k == label_prefix ]]; then echo "$k = \"$v\""; else echo "$k = $v"; fi
      done
    fi
  } >"$plugin_dir/$classifier.toml"
  manifest=$plugin_dir/$classifier.toml
fi
if [[ ! -f $manifest ]]; then
  echo "run_bench.sh: no manifest $manifest; the bundled model may not be" \
       "built yet. Pass --model FILE.ftz to benchmark a model file." >&2
  exit 1
fi
model_rel=$(toml_value "$manifest" "" model)
[[ -n $model_rel ]] || { echo "run_bench.sh: $manifest names no model" >&2; exit 1; }
if [[ $model_rel = /* ]]; then model=$model_rel; else model=$(dirname "$manifest")/$model_rel; fi
model=$(realpath -m "$model")
if [[ ! -f $model ]]; then
  echo "run_bench.sh: model $model (named by $manifest) not found; the" \
       "bundled model may not be built yet. Pass --model FILE.ftz to" \
       "benchmark a model file." >&2
  exit 1
fi

# What the plugin passes to FastText::predict for a request with default
# options. The daemon asks plugins for every score (min_score 0: it applies
# min_score itself, after calibration) and asks a calibrated classifier for
# as many labels as any request may get, so the plugin's own options
# decide: k = manifest top_k (5 if unset), threshold = manifest threshold.
m_top_k=$(toml_value "$manifest" options top_k)
m_threshold=$(toml_value "$manifest" options threshold)
top_k=${m_top_k:-5}
threshold=${m_threshold:-0}

[[ -n $out ]] || out=$build_dir/bench-results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
results=$out/results.tsv
: >"$results"

# --- Servers ----------------------------------------------------------------
# start_server NAME COMMAND...: runs COMMAND (which writes its port to
# $tmp/NAME.port) on the server core and waits until it serves $classifier.
start_server() {
  local name=$1; shift
  log "starting $name on core $server_core"
  taskset -c "$server_core" "$@" >"$out/$name.log" 2>&1 &
  server_pid[$name]=$!
  for _ in $(seq 100); do
    [[ -s $tmp/$name.port ]] && break
    kill -0 "${server_pid[$name]}" 2>/dev/null || { cat "$out/$name.log" >&2; exit 1; }
    sleep 0.1
  done
  [[ -s $tmp/$name.port ]] || { echo "run_bench.sh: $name wrote no port" >&2; exit 1; }
  server_addr[$name]=127.0.0.1:$(cat "$tmp/$name.port")
  taskset -c "$client_core" "$bench" wait --addr "${server_addr[$name]}" \
    --classifier "$classifier" --timeout 120 >&2
}

log "classifier $classifier: $model"
start_server classifyd "$daemon" --listen 127.0.0.1:0 \
  --port-file "$tmp/classifyd.port" --plugin-dir "$plugin_dir" \
  --plugin-lib-dir "$plugin_lib_dir" --runtime-dir "$tmp" --log-level warn \
  --http-listen 127.0.0.1:0 --http-port-file "$tmp/classifyd.http-port"
http_addr=127.0.0.1:$(cat "$tmp/classifyd.http-port")
servers=(classifyd)
peer_args=(--model "$model" --classifier "$classifier" --top-k "$top_k"
           --threshold "$threshold")
for peer in $peers; do
  case $peer in
    sync) start_server sync-cpp "$sync_peer" --port-file "$tmp/sync-cpp.port" \
            "${peer_args[@]}"
          servers+=(sync-cpp) ;;
    python) start_server python /usr/bin/python3 "$here/peers/python_server.py" \
              --port-file "$tmp/python.port" --stubs "$python_stubs" \
              "${peer_args[@]}"
            servers+=(python) ;;
  esac
done

# --- Scenarios --------------------------------------------------------------
# Sets client_cmd to the command line of a shipped client (scenario
# client-*) streaming to address $2.
client_command() {  # scenario address
  local args=(--addr "$2" --text-lines --plugin "$classifier")
  case $1 in
    client-ctl) client_cmd=("$classifyctl" --addr "$2" stream --text-lines
                            --plugin "$classifier") ;;
    client-python) client_cmd=(env "PYTHONPATH=$python_stubs" /usr/bin/python3
                               "$root/clients/python/classify_stream.py" "${args[@]}") ;;
    client-node) client_cmd=(env "NODE_PATH=$node_modules" node
                             "$root/clients/node/classify_stream.js" "${args[@]}") ;;
    client-go) client_cmd=("$go_client" -addr "$2" -text-lines -plugin "$classifier") ;;
    *) echo "run_bench.sh: unknown scenario '$1'" >&2; return 1 ;;
  esac
}

run() {  # scenario input server
  local label=$1
  [[ $3 == classifyd ]] || label=$1@$3
  local common=(--input "$2" --duration "$duration" --warmup "$warmup"
                --tsv "$results" --label "$label")
  local load=(--addr "${server_addr[$3]}" --server-pid "${server_pid[$3]}"
              --classifier "$classifier")
  local http_load=(--addr "$http_addr" --server-pid "${server_pid[$3]}"
                   --classifier "$classifier")
  case $1 in
    inprocess)
      # On the daemon's core, while the daemon idles.
      taskset -c "$server_core" "$bench" inprocess "${common[@]}" \
        --model "$model" --top-k "$top_k" --threshold "$threshold" ;;
    unary-c*)
      taskset -c "$client_core" "$bench" unary "${common[@]}" "${load[@]}" \
        --concurrency "${1#unary-c}" ;;
    stream-x*)
      taskset -c "$client_core" "$bench" stream "${common[@]}" "${load[@]}" \
        --streams "${1#stream-x}" --window 256 ;;
    batch-*)
      taskset -c "$client_core" "$bench" batch "${common[@]}" "${load[@]}" \
        --batch "${1#batch-}" --concurrency 2 ;;
    http-unary-c*)
      taskset -c "$client_core" "$bench" http-unary "${common[@]}" \
        "${http_load[@]}" --concurrency "${1#http-unary-c}" ;;
    http-batch-*)
      taskset -c "$client_core" "$bench" http-batch "${common[@]}" \
        "${http_load[@]}" --batch "${1#http-batch-}" \
        --concurrency 2 ;;
    client-*)
      # The client as a user runs it on a file; the run is its whole life.
      client_command "$1" "${server_addr[$3]}" || return 1
      taskset -c "$client_core" "$bench" client --input "$2" --tsv "$results" \
        --label "$label" --server-pid "${server_pid[$3]}" \
        --count "$client_docs" -- "${client_cmd[@]}" ;;
    *) echo "run_bench.sh: unknown scenario '$1'" >&2; return 1 ;;
  esac
}

{
  echo "date:      $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "host:      $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "commit:    $(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
  echo "model:     $model ($(stat -c %s "$model") bytes; predict k=$top_k threshold=$threshold)"
  echo "runs:      ${reps}x, ${duration}s each after ${warmup}s warm-up; servers on core $server_core, client on core $client_core"
  echo "servers:   ${servers[*]} (gRPC scenarios run on each in turn)"
  echo "load avg:  $(cut -d' ' -f1-3 /proc/loadavg) (before)"
} >"$out/env.txt"
cat "$out/env.txt" >&2

failures=0
for rep in $(seq "$reps"); do
  for input in $inputs; do
    for scenario in $scenarios; do
      on=("${servers[@]}")
      # In-process and HTTP/JSON runs are classifyd's alone; the shipped
      # clients stream the headline file.
      [[ $scenario == inprocess || $scenario == http-* ]] && on=(classifyd)
      [[ $scenario == client-* && $input != headline ]] && continue
      for server in "${on[@]}"; do
        log "rep $rep/$reps: $scenario on $input ($server)"
        result=$out/$scenario.$input.$server.$rep.txt
        if ! run "$scenario" "$input" "$server" >"$result" 2>&1; then
          failures=$((failures + 1))
          log "FAILED: $scenario on $input ($server; see $result)"
          tail -5 "$result" >&2
        fi
        kill -0 "${server_pid[$server]}" 2>/dev/null || {
          echo "run_bench.sh: $server died; see $out/$server.log" >&2; exit 1; }
      done
    done
  done
done
echo "load avg:  $(cut -d' ' -f1-3 /proc/loadavg) (after)" >>"$out/env.txt"

{
  cat "$out/env.txt"
  echo
  "$bench" report "$results"
} >"$out/report.md"
echo
cat "$out/report.md"
echo
log "results in $out"
[[ $failures -eq 0 ]] || { log "$failures runs failed"; exit 1; }
