# Sourced by the A/B cost scripts (metrics_cost.sh, plugin_timeout_cost.sh,
# isolation_cost.sh): a temporary directory; start NAME ARGS... to run one
# daemon on $server_core with the bundled classifiers (or the manifests in
# $PLUGIN_DIR, when set) and ARGS, its address in
# addr[NAME] and its pid in pid[NAME]; wait_ready NAME... to wait until
# their news-topics classifier is ready. Every daemon started is stopped
# and the directory removed on exit.
#
# Expects: root, build_dir, daemon, bench, server_core, client_core; sets
# tmp, pids, addr, pid.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/classifyd-$(basename "$0" .sh).XXXXXX")
pids=()
declare -A addr pid
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

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
