#!/usr/bin/env bash
# `npm stop`: stops the four services started by `npm start` (the stack keeps running;
# `npm run stack down` stops it). Each gets SIGTERM and up to STOP_GRACE_SECONDS (60, as
# the Kubernetes manifests allow) to finish the command it is on; then its supervisor and
# the service are killed (the command comes again to the next worker: nothing is lost).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
grace=${STOP_GRACE_SECONDS:-60}
pids=()
names=()
for name in request-api scheduler extractor uploader; do
  pidfile="$STACK_DIR/run/$name.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  # Only our supervisor, leading its own process group: a pid file left from before a reboot may name another process.
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "supervise.sh $name" \
    && [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ]; then
    kill -TERM "$pid"
    pids+=("$pid")
    names+=("$name")
  else
    rm -f "$pidfile"
  fi
done
# All four stop side by side: one waits for the others' grace, not for its own in turn.
for i in "${!pids[@]}"; do
  pid=${pids[$i]} name=${names[$i]}
  for _ in $(seq 1 $((grace * 5))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    # The supervisor leads its own process group (setsid): the group is it and the service.
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    echo "killed $name (still busy after ${grace}s)"
  else
    echo "stopped $name"
  fi
  kill -0 "$pid" 2>/dev/null && { echo "$name (pid $pid) would not stop" >&2; exit 1; }
  rm -f "$STACK_DIR/run/$name.pid"
done
