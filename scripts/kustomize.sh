#!/usr/bin/env bash
# `bash scripts/kustomize.sh <dir>`: renders a kustomization. Installs kustomize from the Go
# module proxy on first use (cached under the home, like every other download here).
set -euo pipefail
VERSION=v5.7.1
BIN="$(go env GOPATH)/bin/kustomize"
if [ ! -x "$BIN" ] || ! "$BIN" version 2>/dev/null | grep -q "${VERSION#v}"; then
  echo "installing kustomize $VERSION…" >&2
  GOFLAGS=-mod=mod go install "sigs.k8s.io/kustomize/kustomize/v5@$VERSION" >&2
fi
exec "$BIN" build "$@"
