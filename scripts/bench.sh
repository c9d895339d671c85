#!/usr/bin/env bash
# `npm run bench [-- --events N --formats json,csv,xml,parquet --replicas N --rounds R]`: brings the stack up if needed,
# builds, and runs the benchmark (see BENCHMARKS.md). Not part of `npm test`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
ensure_node_modules
bash scripts/stack.sh up
build
node dist/bench/bench.js "$@"
