#!/usr/bin/env bash
# `npm start`: the whole system on this machine. Installs what is missing, brings the
# local stack up (Kafka, Postgres, fake-gcs-server), migrates, creates the development
# account, and starts the four services in the background under a supervisor that
# restarts a crashed service. `npm stop` stops the services (and `npm run stack down`
# the stack).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

DEV_API_KEY="bx_dev_local_key"
DEV_BUCKET="dev-exports"

ensure_node_modules
bash scripts/stack.sh up
build

mkdir -p "$STACK_DIR/run" "$STACK_DIR/logs" "$STACK_DIR/staging"
# A development key-encryption key, made once and kept outside git.
if [ ! -s "$STACK_DIR/dev-kek" ]; then
  head -c 32 /dev/urandom | base64 > "$STACK_DIR/dev-kek"
fi

export DATABASE_URL="${DATABASE_URL:-postgres://bulk_export:bulk_export@127.0.0.1:5432/bulk_export}"
export KAFKA_BROKERS="${KAFKA_BROKERS:-localhost:9092}"
export GCS_API_ENDPOINT="${GCS_API_ENDPOINT:-http://localhost:4443}"
export CREDENTIALS_KEKS="${CREDENTIALS_KEKS:-dev:$(cat "$STACK_DIR/dev-kek")}"
export STAGING_DIR="${STAGING_DIR:-$STACK_DIR/staging}"

node dist/libs/persistence/src/cli/migrate.js
node dist/apps/request-api/src/cli.js ensure-dev-account "$DEV_API_KEY" > "$STACK_DIR/dev-account.json"
DEV_ACCOUNT_ID=$(node -e "console.log(require('$STACK_DIR/dev-account.json').accountId)")

# A bucket and a service-account key file for the development account's first credentials.
curl -sf -o /dev/null -X POST "$GCS_API_ENDPOINT/storage/v1/b?project=dev" -H 'content-type: application/json' \
  -d "{\"name\":\"$DEV_BUCKET\"}" || true
if [ ! -s "$STACK_DIR/dev-service-key.json" ]; then
  node -e "
    const { generateKeyPairSync } = require('crypto');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    process.stdout.write(JSON.stringify({ type: 'service_account', project_id: 'dev', client_email: 'exporter@dev.iam.gserviceaccount.com',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }) }));" > "$STACK_DIR/dev-service-key.json"
fi

start_service() {
  local name=$1 port=$2
  local pidfile="$STACK_DIR/run/$name.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "$name already running (pid $(cat "$pidfile")); restarting it with the new build"
    kill "$(cat "$pidfile")" 2>/dev/null || true
    while kill -0 "$(cat "$pidfile")" 2>/dev/null; do sleep 0.2; done
  fi
  HTTP_PORT=$port setsid bash scripts/supervise.sh "$name" >> "$STACK_DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
}

start_service request-api 3000
start_service scheduler 3001
start_service extractor 3002
start_service uploader 3003

for port in 3000 3001 3002 3003; do
  deadline=$((SECONDS + 60))
  until curl -sf "http://localhost:$port/health/ready" > /dev/null; do
    if [ $SECONDS -gt $deadline ]; then
      echo "a service on port $port did not become ready; see $STACK_DIR/logs/" >&2
      exit 1
    fi
    sleep 0.3
  done
done

cat <<INFO

Bulk Export is running.
  REST API        http://localhost:3000   (health: /health/ready)
  API key         $DEV_API_KEY            (development account $DEV_ACCOUNT_ID, database id "dev")
  Events topic    events.$DEV_ACCOUNT_ID
  Bucket          $DEV_BUCKET on fake-gcs-server at $GCS_API_ENDPOINT
  Service key     $STACK_DIR/dev-service-key.json
  Logs            $STACK_DIR/logs/<service>.log

Try:
  curl -s -X POST localhost:3000/v1/credentials/gcp -H 'Authorization: Bearer $DEV_API_KEY' \\
    -H 'Content-Type: application/json' \\
    -d "{\"bucket\":\"$DEV_BUCKET\",\"serviceKey\":\$(cat $STACK_DIR/dev-service-key.json)}"
Stop with: npm stop   (and the stack with: npm run stack down)
INFO
