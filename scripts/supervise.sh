#!/usr/bin/env bash
# Runs one service and restarts it when it exits, as compose or Kubernetes would; a
# configuration error (exit 78) is not retried. SIGTERM stops the service and the loop.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
name=$1
child=0
trap 'kill -TERM $child 2>/dev/null; wait $child; exit 0' TERM INT
while true; do
  node "$REPO_ROOT/dist/apps/$name/src/main.js" &
  child=$!
  wait $child
  code=$?
  if [ $code -eq 78 ]; then
    echo "$name: configuration error; not restarting" >&2
    exit $code
  fi
  echo "$name exited with $code; restarting in 1s" >&2
  sleep 1
done
