#!/usr/bin/env bash
# `npm stop`: stops the four services started by `npm start` (the stack keeps running;
# `npm run stack down` stops it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for name in request-api scheduler extractor uploader; do
  pidfile="$STACK_DIR/run/$name.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    echo "stopped $name"
  fi
  rm -f "$pidfile"
done
