#!/usr/bin/env bash
# `bash scripts/kustomize.sh <dir>`: renders a kustomization. Installs kustomize from the Go
# module proxy on first use into $(go env GOPATH)/bin, with Go's caches under the home like
# every other download here (about 2 minutes on a new machine, instant afterwards).
# Pinned: v5.7.1 installs and runs with the machine's Go 1.26; check a newer one before moving.
set -euo pipefail
VERSION=v5.7.1
BIN="$(go env GOPATH)/bin/kustomize"
if [ ! -x "$BIN" ] || ! "$BIN" version 2>/dev/null | grep -qx "${VERSION}"; then
  echo "installing kustomize $VERSION…" >&2
  # go prints a line per downloaded module; keep stderr for kustomize's own warnings and
  # show Go's output only when the install fails.
  log="$(mktemp)"
  if ! go install "sigs.k8s.io/kustomize/kustomize/v5@$VERSION" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
fi
exec "$BIN" build "$@"
