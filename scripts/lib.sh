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
