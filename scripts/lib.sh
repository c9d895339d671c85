# Shared by start.sh, stop.sh and test.sh: install dependencies and build when needed.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK_DIR="${STACK_DIR:-$REPO_ROOT/.stack}"

# npm ci when node_modules is missing or older than the lock file (npm's cache under ~/.npm keeps it fast).
ensure_node_modules() {
  if [ ! -d "$REPO_ROOT/node_modules" ] || [ "$REPO_ROOT/package-lock.json" -nt "$REPO_ROOT/node_modules/.package-lock.json" ]; then
    echo "installing npm dependencies…"
    (cd "$REPO_ROOT" && npm ci --no-audit --no-fund --prefer-offline)
  fi
}

build() {
  echo "building…"
  (cd "$REPO_ROOT" && rm -rf dist && npm run --silent build)
}
