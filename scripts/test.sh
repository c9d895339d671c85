#!/usr/bin/env bash
# `npm test`: everything the project checks. Brings up what it needs itself (the local
# stack), type-checks, lints (ESLint, Prettier), builds, then runs the unit tests and the
# end-to-end suites against the real Kafka, Postgres and fake-gcs-server.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

ensure_node_modules
bash scripts/stack.sh up
echo "type-checking…"
npx tsc -p tsconfig.json --noEmit
echo "linting…"
npm run --silent lint
build

mkdir -p "$STACK_DIR/test-results"
export TEST_LOG_DIR="$STACK_DIR/logs/e2e"
rm -rf "$TEST_LOG_DIR"
status=0
npx jest --ci --runInBand --json --outputFile="$STACK_DIR/test-results/jest.json" "$@" || status=$?
# A plain summary line, readable by any CI.
node -e "
  const r = require('$STACK_DIR/test-results/jest.json');
  console.log(\`\${r.numPassedTests} passed, \${r.numFailedTests} failed, \${r.numPendingTests} skipped\`);
  if (r.numTotalTests === 0) process.exitCode = 1;
" || status=1
[ $status -ne 0 ] && echo "service logs of the end-to-end tests: $TEST_LOG_DIR"
exit $status
