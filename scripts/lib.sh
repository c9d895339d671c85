# Shared by start.sh, stop.sh and test.sh: install dependencies and build when needed.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK_DIR="${STACK_DIR:-$REPO_ROOT/.stack}"

# glibc malloc for the services (the Dockerfile sets the same): at most two arenas, and blocks
# of 256 KiB and more straight from mmap. The uploader's worker threads pass 1 MiB blocks
# around; with glibc's defaults (an arena per thread, a threshold that rises to 32 MiB) the
# freed blocks stayed resident and its peak grew with the export (10M events: 770 MB against
# 612 MB with these, same work). Set them in the environment to override.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-262144}"
# V8 (the Dockerfile sets the same): Node.js 24 lets the young generation grow to 128 MiB per
# isolate (Node.js 20: 32 MiB), which put 40 MB on every idle service and 130 MB on the
# uploader with its worker threads; 16 MiB semi-spaces keep Node.js 20's size. kafkajs 2.2.4
# schedules a timer with a negative delay (tulios/kafkajs#1751), which Node.js 24 clamps to
# 1 ms as Node.js 20 did, but also warns about in every service's log.
export NODE_OPTIONS="${NODE_OPTIONS:---max-semi-space-size=16 --disable-warning=TimeoutNegativeWarning}"

# npm ci when node_modules is missing or older than the lock file (npm's cache under ~/.npm keeps it fast).
ensure_node_modules() {
  if [ ! -d "$REPO_ROOT/node_modules" ] || [ "$REPO_ROOT/package-lock.json" -nt "$REPO_ROOT/node_modules/.package-lock.json" ]; then
    echo "installing npm dependencies…"
    (cd "$REPO_ROOT" && npm ci --no-audit --no-fund --prefer-offline)
  fi
  use_project_node
}

# The project runs on Node.js 24, which npm installs as the `node` package (a devDependency:
# the binary comes from the npm registry), so a machine whose own Node.js is older still runs
# the tested version. Everything after this (npx, node, the services) uses it.
use_project_node() {
  export PATH="$REPO_ROOT/node_modules/.bin:$PATH"
  hash -r
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 24 ]; then
    echo "Node.js 24 is needed, found $(node -v) at $(command -v node); run npm ci in $REPO_ROOT" >&2
    exit 1
  fi
}

build() {
  echo "building…"
  (cd "$REPO_ROOT" && rm -rf dist && npm run --silent build)
}
