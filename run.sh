#!/usr/bin/env bash
# Installs what is missing, builds, and runs classifyd in the foreground on
# 127.0.0.1:50051 (gRPC) and 127.0.0.1:8080 (HTTP/JSON and the web console)
# with the bundled classifiers. Extra arguments go to the
# daemon (they win over the defaults here): ./run.sh --listen 127.0.0.1:6000
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD_DIR="$ROOT/build/release"
"$ROOT/deploy/setup.sh" --build-dir "$BUILD_DIR"
exec "$BUILD_DIR/bin/classifyd" \
  --listen 127.0.0.1:50051 \
  --http-listen 127.0.0.1:8080 \
  --plugin-dir "$ROOT/models/plugins.d" \
  --plugin-lib-dir "$BUILD_DIR/lib/classifyd/plugins" \
  "$@"
