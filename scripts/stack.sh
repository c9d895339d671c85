#!/usr/bin/env bash
# Local stack for Bulk Export, without Docker:
#   - Apache Kafka (KRaft, single combined broker+controller; jars from Maven Central via stack/kafka/pom.xml)
#   - PostgreSQL (the machine's Debian package; role + database bulk_export)
#   - fake-gcs-server (go install)
#   - kcat and Chromium (apt; Chromium for the console's browser suite)
#
# Usage: scripts/stack.sh up|down|status
#
# `up` installs what is missing, starts what is not running (or reuses whatever already answers on the
# port), and waits until every component is really usable. `down` stops only what `up` started.
# `status` prints each component as up/down and exits non-zero if any is down.
#
# Environment: STACK_DIR (default <repo>/.stack), KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
# GCS_PORT (4443), PG_PORT (5432, used when a cluster has to be created), PG_CLUSTER (main),
# KAFKA_READY_TIMEOUT (90), PG_READY_TIMEOUT (30), GCS_READY_TIMEOUT (30) in seconds.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STACK_DIR="${STACK_DIR:-$REPO_ROOT/.stack}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
GCS_PORT="${GCS_PORT:-4443}"
PG_PORT="${PG_PORT:-5432}"
PG_CLUSTER="${PG_CLUSTER:-main}"
KAFKA_READY_TIMEOUT="${KAFKA_READY_TIMEOUT:-90}"
PG_READY_TIMEOUT="${PG_READY_TIMEOUT:-30}"
GCS_READY_TIMEOUT="${GCS_READY_TIMEOUT:-30}"

KAFKA_POM="$REPO_ROOT/stack/kafka/pom.xml"
KAFKA_BOOTSTRAP="localhost:$KAFKA_PORT"
KAFKA_PROBE_TOPIC="stack-probe"
FAKE_GCS_MODULE="github.com/fsouza/fake-gcs-server"
FAKE_GCS_VERSION="v1.56.1"
GCS_URL="http://localhost:$GCS_PORT"
DB_NAME="bulk_export" DB_USER="bulk_export" DB_PASSWORD="bulk_export"

# ---------------------------------------------------------------------------------------------- helpers

START_MARKER="=== scripts/stack.sh: starting"
log() { printf '%s\n' "$*"; }
die() { printf 'stack: ERROR: %s\n' "$*" >&2; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

resolve_paths() {
  case "$STACK_DIR" in /*) ;; *) STACK_DIR="$PWD/$STACK_DIR" ;; esac
  LOGS="$STACK_DIR/logs"
  RUN="$STACK_DIR/run"
  KAFKA_HOME="$STACK_DIR/kafka"
  KAFKA_LIBS="$KAFKA_HOME/libs"
  GCS_ROOT="$STACK_DIR/gcs"
}

as_root() { if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
as_postgres() {
  # cd / so psql does not warn about an unreadable working directory.
  if [[ $EUID -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else (cd / && sudo -u postgres "$@"); fi
}

# True when something accepts TCP connections on host:port.
port_open() { timeout 1 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# True when the pid in $1 is alive and its command line contains $2 (guards against pid reuse).
pid_alive() {
  local pid
  [[ -s $1 ]] || return 1
  pid="$(<"$1")"
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  local cmdline
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ $cmdline == *"$2"* ]]
}

# start_bg PIDFILE OUTFILE CWD CMD... : start CMD detached (own session), record its pid.
start_bg() {
  local pidfile=$1 out=$2 cwd=$3
  shift 3
  rm -f "$pidfile"
  printf '%s %s\n' "$START_MARKER" "$(date -Is)" >>"$out"
  # The inner shell writes its own pid, then execs CMD, so the pid file names the real process.
  # 9>&- keeps the lock fd out of the daemon.
  setsid bash -c 'cd "$2" && echo $$ >"$1.tmp" && mv "$1.tmp" "$1" && shift 2 && exec "$@"' \
    start_bg "$pidfile" "$cwd" "$@" </dev/null >>"$out" 2>&1 9>&- &
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -s $pidfile ]] && return 0
    sleep 0.05
  done
  die "could not start $1 (no pid file); see $out"
}

# wait_for TIMEOUT CHECK_FN [PIDFILE PATTERN]: poll CHECK_FN every 0.5s until it succeeds (0), the
# deadline passes (1) or, when a pid file is given, the process dies (2).
wait_for() {
  local timeout_s=$1 check=$2 pidfile=${3:-} pattern=${4:-}
  local deadline=$(( $(date +%s) + timeout_s ))
  while :; do
    if "$check"; then return 0; fi
    if [[ -n $pidfile ]] && ! pid_alive "$pidfile" "$pattern"; then
      "$check" && return 0
      return 2
    fi
    (( $(date +%s) < deadline )) || return 1
    sleep 0.5
  done
}

# fail_wait COMPONENT RC TIMEOUT LOGFILE...: explain a failed wait_for and exit.
fail_wait() {
  local name=$1 rc=$2 timeout_s=$3 f
  shift 3
  if [[ $rc -eq 2 ]]; then
    printf 'stack: ERROR: %s exited during startup\n' "$name" >&2
  else
    printf 'stack: ERROR: %s not ready after %ss\n' "$name" "$timeout_s" >&2
  fi
  local recent
  for f in "$@"; do
    [[ -s $f ]] || continue
    # Only look at what this start wrote (start_bg appends a marker line before launching).
    recent="$(awk -v m="$START_MARKER" 'index($0, m) == 1 {buf = ""; next} {buf = buf $0 "\n"} END {printf "%s", buf}' "$f")"
    [[ -n $recent ]] || continue
    if grep -qE '^\[[^]]+\] (ERROR|FATAL) ' <<<"$recent"; then
      printf -- '--- errors in %s ---\n' "$f" >&2
      grep -E '^\[[^]]+\] (ERROR|FATAL) ' <<<"$recent" | tail -n 5 | cut -c1-400 >&2
    fi
    printf -- '--- last lines of %s ---\n' "$f" >&2
    tail -n 12 <<<"$recent" | cut -c1-400 >&2
  done
  exit 1
}

stop_pid() { # stop_pid NAME PIDFILE PATTERN
  local name=$1 pidfile=$2 pattern=$3 pid i
  if ! pid_alive "$pidfile" "$pattern"; then
    if [[ -e $pidfile ]]; then rm -f "$pidfile"; log "$name: not running (stale pid file removed)"; else log "$name: not started by stack"; fi
    return 0
  fi
  pid="$(<"$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 120; i++)); do # 60s for a clean shutdown
    pid_alive "$pidfile" "$pattern" || break
    sleep 0.5
  done
  if pid_alive "$pidfile" "$pattern"; then
    log "$name: still running after 60s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do pid_alive "$pidfile" "$pattern" || break; sleep 0.5; done
    pid_alive "$pidfile" "$pattern" && die "$name (pid $pid) did not exit"
  fi
  rm -f "$pidfile"
  log "$name: stopped (pid $pid)"
}

# ---------------------------------------------------------------------------------------------- kcat

# Installs Debian package $2 when command $1 is missing (kcat, Chromium, and Maven for the Kafka jars).
ensure_apt_package() {
  local command=$1 package=$2
  command -v "$command" >/dev/null 2>&1 && return 0
  log "$package: installing (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists only when apt does not know the package yet.
  if ! apt-cache show "$package" >/dev/null 2>&1; then
    as_root apt-get update -qq >>"$LOGS/apt.log" 2>&1 || { tail -n 20 "$LOGS/apt.log" >&2; die "apt-get update failed"; }
  fi
  as_root apt-get install -y -qq "$package" >>"$LOGS/apt.log" 2>&1 || { tail -n 20 "$LOGS/apt.log" >&2; die "apt-get install $package failed"; }
  command -v "$command" >/dev/null 2>&1 || die "$command still not found after installing $package"
}

ensure_kcat() { ensure_apt_package kcat kcat; }
# The console's browser suite drives Debian's Chromium (/usr/bin/chromium); no browser is downloaded.
ensure_chromium() { ensure_apt_package chromium chromium; }

# ---------------------------------------------------------------------------------------------- kafka

kafka_version() { sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_POM" | head -n 1; }

ensure_kafka_libs() {
  local ver want tmp
  ver="$(kafka_version)"
  [[ -n $ver ]] || die "cannot read <kafka.version> from $KAFKA_POM"
  # Skip Maven when the jars of this version are there and the pom has not changed since they were copied.
  want="$(sha256sum "$KAFKA_POM" | cut -d' ' -f1)"
  if [[ -f $KAFKA_LIBS/kafka_2.13-$ver.jar && -f $KAFKA_LIBS/.pom.sha256 && "$(<"$KAFKA_LIBS/.pom.sha256")" == "$want" ]]; then
    return 0
  fi
  # Needed once, to fetch the Kafka jars.
  ensure_apt_package mvn maven
  log "kafka: fetching Kafka $ver jars (maven)"
  tmp="$KAFKA_HOME/libs.tmp"
  rm -rf "$tmp"
  if ! mvn -q -B -f "$KAFKA_POM" dependency:copy-dependencies -DoutputDirectory="$tmp" -DincludeScope=runtime \
    >"$LOGS/maven.log" 2>&1; then
    tail -n 30 "$LOGS/maven.log" >&2
    die "maven could not fetch the Kafka jars (full log: $LOGS/maven.log)"
  fi
  [[ -f $tmp/kafka_2.13-$ver.jar ]] || die "maven did not produce kafka_2.13-$ver.jar"
  echo "$want" >"$tmp/.pom.sha256"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
}

write_kafka_config() {
  cat >"$KAFKA_HOME/server.properties.tmp" <<EOF
# Generated by scripts/stack.sh on every \`up\`; edit the script, not this file.
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://localhost:$KAFKA_PORT,CONTROLLER://localhost:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://localhost:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
controller.quorum.bootstrap.servers=localhost:$KAFKA_CONTROLLER_PORT
log.dirs=$KAFKA_HOME/data
num.partitions=3
auto.create.topics.enable=true
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# Exports can reach 45 days back.
log.retention.hours=1200
EOF
  mv "$KAFKA_HOME/server.properties.tmp" "$KAFKA_HOME/server.properties"

  cat >"$KAFKA_HOME/log4j2.properties.tmp" <<EOF
# Generated by scripts/stack.sh. Everything goes to $LOGS/kafka.log, nothing to the console.
status = warn
name = stack-kafka
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = $LOGS/kafka.log
appender.file.filePattern = $LOGS/kafka.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
  mv "$KAFKA_HOME/log4j2.properties.tmp" "$KAFKA_HOME/log4j2.properties"
}

kafka_java() {
  java "-Dlog4j2.configurationFile=$KAFKA_HOME/log4j2.properties" -cp "$KAFKA_LIBS/*" "$@"
}

format_kafka_storage() {
  [[ -f $KAFKA_HOME/data/meta.properties ]] && return 0
  local cluster_id
  cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$LOGS/kafka-format.log")" ||
    die "kafka: StorageTool random-uuid failed (see $LOGS/kafka-format.log)"
  if ! kafka_java kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$KAFKA_HOME/server.properties" \
    >>"$LOGS/kafka-format.log" 2>&1; then
    tail -n 20 "$LOGS/kafka-format.log" >&2
    die "kafka: formatting storage failed"
  fi
  log "kafka: formatted storage (cluster id $cluster_id)"
}

kafka_start() { # starts Kafka unless it already runs; sets KAFKA_NOTE
  if pid_alive "$RUN/kafka.pid" kafka.Kafka; then
    KAFKA_NOTE="already running (pid $(<"$RUN/kafka.pid"))"
    return 0
  fi
  rm -f "$RUN/kafka.pid"
  if port_open localhost "$KAFKA_PORT"; then
    KAFKA_NOTE="reusing the broker already listening on $KAFKA_BOOTSTRAP"
    return 0
  fi
  port_open localhost "$KAFKA_CONTROLLER_PORT" &&
    die "kafka: controller port $KAFKA_CONTROLLER_PORT is already in use (set KAFKA_CONTROLLER_PORT)"
  command -v java >/dev/null 2>&1 || die "java not found"
  ensure_kafka_libs
  write_kafka_config
  format_kafka_storage
  printf '%s %s\n' "$START_MARKER" "$(date -Is)" >>"$LOGS/kafka.log"
  start_bg "$RUN/kafka.pid" "$LOGS/kafka.out" "$KAFKA_HOME" \
    java -Xms512m -Xmx1g "-Dlog4j2.configurationFile=$KAFKA_HOME/log4j2.properties" "-Dkafka.logs.dir=$LOGS" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_HOME/server.properties"
  KAFKA_NOTE="started (pid $(<"$RUN/kafka.pid"))"
}

# Ready = a produced value can be consumed back.
kafka_probe() {
  local value out
  # Cheap gate: kcat would otherwise spend its whole timeout retrying a closed port.
  port_open localhost "$KAFKA_PORT" || return 1
  value="probe-$$-$(date +%s%N)"
  printf '%s\n' "$value" |
    timeout 15 kcat -P -q -b "$KAFKA_BOOTSTRAP" -t "$KAFKA_PROBE_TOPIC" -p 0 -m 5 -X message.timeout.ms=5000 \
      >/dev/null 2>&1 || return 1
  out="$(timeout 15 kcat -C -q -b "$KAFKA_BOOTSTRAP" -t "$KAFKA_PROBE_TOPIC" -p 0 -o -20 -e -m 5 2>/dev/null)" || return 1
  grep -qxF -- "$value" <<<"$out"
}

kafka_wait() {
  local rc=0
  if [[ -e $RUN/kafka.pid ]]; then
    wait_for "$KAFKA_READY_TIMEOUT" kafka_probe "$RUN/kafka.pid" kafka.Kafka || rc=$?
    [[ $rc -eq 0 ]] || fail_wait kafka "$rc" "$KAFKA_READY_TIMEOUT" "$LOGS/kafka.log" "$LOGS/kafka.out"
  else
    wait_for "$KAFKA_READY_TIMEOUT" kafka_probe || rc=$?
    [[ $rc -eq 0 ]] || die "something listens on $KAFKA_BOOTSTRAP (not started by this stack) but a kcat produce/consume round trip failed for ${KAFKA_READY_TIMEOUT}s"
  fi
  log "kafka: ready, $KAFKA_NOTE"
}

kafka_status_check() { timeout 10 kcat -L -q -b "$KAFKA_BOOTSTRAP" -m 5 >/dev/null 2>&1; }

# ---------------------------------------------------------------------------------------------- postgres

# Sets PG_VER, PG_CL_PORT and PG_STATUS ("none" when the cluster does not exist).
pg_detect() {
  command -v pg_lsclusters >/dev/null 2>&1 || die "pg_lsclusters not found: install the postgresql package"
  local line
  line="$(pg_lsclusters -h 2>/dev/null | awk -v c="$PG_CLUSTER" '$2 == c' | sort -V -k1,1 | tail -n 1)"
  if [[ -n $line ]]; then
    read -r PG_VER _ PG_CL_PORT PG_STATUS _ <<<"$line"
  else
    PG_VER="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/postgres' 2>/dev/null |
      awk -F/ '{print $5}' | sort -V | tail -n 1)"
    [[ -n $PG_VER ]] || die "no PostgreSQL server found under /usr/lib/postgresql"
    PG_CL_PORT="$PG_PORT"
    PG_STATUS="none"
  fi
}

pg_url() { echo "postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$PG_CL_PORT/$DB_NAME"; }

pg_login_check() {
  PGPASSWORD="$DB_PASSWORD" PGCONNECT_TIMEOUT=3 psql -X -q -h 127.0.0.1 -p "$PG_CL_PORT" -U "$DB_USER" -d "$DB_NAME" \
    -tAc 'select 1' >/dev/null 2>&1
}

pg_start() { # sets PG_NOTE, PG_LOCAL (1 when the local cluster serves the port)
  pg_detect
  PG_LOCAL=1
  if [[ $PG_STATUS == none ]]; then
    if port_open 127.0.0.1 "$PG_CL_PORT"; then
      PG_LOCAL=0
      PG_NOTE="reusing the server already listening on port $PG_CL_PORT"
      return 0
    fi
    log "postgres: creating cluster $PG_VER/$PG_CLUSTER on port $PG_CL_PORT"
    as_root pg_createcluster "$PG_VER" "$PG_CLUSTER" --port "$PG_CL_PORT" >>"$LOGS/postgres.log" 2>&1 ||
      { tail -n 20 "$LOGS/postgres.log" >&2; die "pg_createcluster $PG_VER $PG_CLUSTER failed"; }
    PG_STATUS="down"
  fi
  if [[ $PG_STATUS == online* ]]; then
    if [[ -f $RUN/postgres.started ]]; then PG_NOTE="already running (started by stack)"; else PG_NOTE="already running (not ours)"; fi
    return 0
  fi
  if port_open 127.0.0.1 "$PG_CL_PORT"; then
    PG_LOCAL=0
    PG_NOTE="reusing the server already listening on port $PG_CL_PORT"
    return 0
  fi
  # 9>&-: the daemon must not inherit the lock file descriptor (see take_lock).
  as_root pg_ctlcluster "$PG_VER" "$PG_CLUSTER" start >>"$LOGS/postgres.log" 2>&1 9>&- || {
    tail -n 20 "$LOGS/postgres.log" >&2
    tail -n 20 "/var/log/postgresql/postgresql-$PG_VER-$PG_CLUSTER.log" >&2 2>/dev/null || true
    die "pg_ctlcluster $PG_VER $PG_CLUSTER start failed"
  }
  echo "$PG_VER $PG_CLUSTER" >"$RUN/postgres.started"
  PG_NOTE="started cluster $PG_VER/$PG_CLUSTER"
}

pg_superuser_ready() { as_postgres psql -X -q -p "$PG_CL_PORT" -d postgres -tAc 'select 1' >/dev/null 2>&1; }

pg_ensure_db() {
  # Fast path: the application login already works.
  pg_login_check && return 0
  if [[ $PG_LOCAL -ne 1 ]]; then
    return 0 # not our server: cannot create roles there; pg_wait reports the failure
  fi
  local rc=0
  wait_for "$PG_READY_TIMEOUT" pg_superuser_ready || rc=$?
  [[ $rc -eq 0 ]] || fail_wait postgres "$rc" "$PG_READY_TIMEOUT" "/var/log/postgresql/postgresql-$PG_VER-$PG_CLUSTER.log"
  as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_CL_PORT" -d postgres >>"$LOGS/postgres.log" 2>&1 <<SQL ||
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
    CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
  ELSE
    ALTER ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
  END IF;
END
\$\$;
SQL
    { tail -n 20 "$LOGS/postgres.log" >&2; die "postgres: could not create role $DB_USER"; }
  if [[ "$(as_postgres psql -X -p "$PG_CL_PORT" -d postgres -tAc "select 1 from pg_database where datname = '$DB_NAME'")" != 1 ]]; then
    as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_CL_PORT" -d postgres -c "CREATE DATABASE $DB_NAME OWNER $DB_USER" \
      >>"$LOGS/postgres.log" 2>&1 || { tail -n 20 "$LOGS/postgres.log" >&2; die "postgres: could not create database $DB_NAME"; }
  fi
  as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_CL_PORT" -d postgres -c "ALTER DATABASE $DB_NAME OWNER TO $DB_USER" \
    >>"$LOGS/postgres.log" 2>&1 || true
  log "postgres: role and database $DB_NAME ready"
}

pg_wait() {
  local rc=0
  wait_for "$PG_READY_TIMEOUT" pg_login_check || rc=$?
  if [[ $rc -ne 0 ]]; then
    printf 'stack: ERROR: cannot log in as %s over TCP (%s).\n' "$DB_USER" "$(pg_url)" >&2
    printf '  Check that pg_hba.conf allows scram-sha-256/md5 for host 127.0.0.1/32 and that the role exists.\n' >&2
    fail_wait postgres "$rc" "$PG_READY_TIMEOUT" "/var/log/postgresql/postgresql-$PG_VER-$PG_CLUSTER.log"
  fi
  log "postgres: ready, $PG_NOTE"
}

# ---------------------------------------------------------------------------------------------- fake-gcs-server

gcs_bin_dir() {
  local gobin
  gobin="$(go env GOBIN 2>/dev/null || true)"
  if [[ -n $gobin ]]; then echo "$gobin"; else echo "$(go env GOPATH | cut -d: -f1)/bin"; fi
}

ensure_gcs_bin() { # sets GCS_BIN
  local dir=""
  if command -v go >/dev/null 2>&1; then
    dir="$(gcs_bin_dir)"
    if [[ -x $dir/fake-gcs-server ]]; then GCS_BIN="$dir/fake-gcs-server"; return 0; fi
  fi
  if GCS_BIN="$(command -v fake-gcs-server 2>/dev/null)"; then return 0; fi
  [[ -n $dir ]] || die "fake-gcs-server not found and go is not installed"
  log "gcs: installing fake-gcs-server $FAKE_GCS_VERSION (go install)"
  if ! go install "$FAKE_GCS_MODULE@$FAKE_GCS_VERSION" >"$LOGS/go-install.log" 2>&1; then
    tail -n 30 "$LOGS/go-install.log" >&2
    die "go install $FAKE_GCS_MODULE@$FAKE_GCS_VERSION failed"
  fi
  GCS_BIN="$dir/fake-gcs-server"
  [[ -x $GCS_BIN ]] || die "go install succeeded but $GCS_BIN is missing"
}

gcs_check() { curl -sf -o /dev/null --max-time 2 "$GCS_URL/storage/v1/b"; }

gcs_start() { # sets GCS_NOTE
  if pid_alive "$RUN/gcs.pid" fake-gcs-server; then
    GCS_NOTE="already running (pid $(<"$RUN/gcs.pid"))"
    return 0
  fi
  rm -f "$RUN/gcs.pid"
  if port_open 127.0.0.1 "$GCS_PORT" || port_open localhost "$GCS_PORT"; then
    GCS_NOTE="reusing the server already listening on port $GCS_PORT"
    return 0
  fi
  ensure_gcs_bin
  mkdir -p "$GCS_ROOT"
  start_bg "$RUN/gcs.pid" "$LOGS/gcs.log" "$STACK_DIR" \
    "$GCS_BIN" -scheme http -host 127.0.0.1 -port "$GCS_PORT" -backend filesystem -filesystem-root "$GCS_ROOT" \
    -public-host "localhost:$GCS_PORT" -external-url "$GCS_URL" -log-level warn
  GCS_NOTE="started (pid $(<"$RUN/gcs.pid"))"
}

gcs_wait() {
  local rc=0
  if [[ -e $RUN/gcs.pid ]]; then
    wait_for "$GCS_READY_TIMEOUT" gcs_check "$RUN/gcs.pid" fake-gcs-server || rc=$?
    [[ $rc -eq 0 ]] || fail_wait gcs "$rc" "$GCS_READY_TIMEOUT" "$LOGS/gcs.log"
  else
    wait_for "$GCS_READY_TIMEOUT" gcs_check || rc=$?
    [[ $rc -eq 0 ]] || die "something listens on port $GCS_PORT (not started by this stack) but $GCS_URL/storage/v1/b does not answer"
  fi
  log "gcs: ready, $GCS_NOTE"
}

# ---------------------------------------------------------------------------------------------- commands

# Serialises concurrent up/down on one STACK_DIR. Daemons are started with fd 9 closed, otherwise they
# would inherit the lock and hold it for as long as they run.
take_lock() {
  exec 9>"$RUN/.lock"
  flock -w 300 9 || die "another scripts/stack.sh is running on $STACK_DIR"
}

cmd_up() {
  local t0
  t0="$(now_ms)"
  mkdir -p "$STACK_DIR" "$LOGS" "$RUN" "$KAFKA_HOME"
  take_lock
  ensure_kcat
  ensure_chromium
  # Start everything first (Kafka is the slowest), then wait for each.
  kafka_start
  gcs_start
  pg_start
  pg_ensure_db
  pg_wait
  gcs_wait
  kafka_wait
  local ms=$(( $(now_ms) - t0 ))
  printf 'stack up in %d.%01ds (state: %s)\n' $((ms / 1000)) $((ms % 1000 / 100)) "$STACK_DIR"
  printf '  kafka     %s\n' "$KAFKA_BOOTSTRAP"
  printf '  postgres  %s\n' "$(pg_url)"
  printf '  gcs       %s\n' "$GCS_URL"
}

cmd_down() {
  if [[ ! -d $RUN ]]; then
    log "nothing to stop ($RUN does not exist)"
    return 0
  fi
  take_lock
  stop_pid kafka "$RUN/kafka.pid" kafka.Kafka
  stop_pid gcs "$RUN/gcs.pid" fake-gcs-server
  if [[ -f $RUN/postgres.started ]]; then
    local ver cluster
    read -r ver cluster <"$RUN/postgres.started"
    if pg_lsclusters -h 2>/dev/null | awk -v v="$ver" -v c="$cluster" '$1 == v && $2 == c && $4 ~ /^online/ {f=1} END {exit !f}'; then
      as_root pg_ctlcluster "$ver" "$cluster" stop >>"$LOGS/postgres.log" 2>&1 || die "pg_ctlcluster $ver $cluster stop failed"
      log "postgres: stopped cluster $ver/$cluster"
    else
      log "postgres: cluster $ver/$cluster already stopped"
    fi
    rm -f "$RUN/postgres.started"
  else
    log "postgres: not started by stack, left as is"
  fi
}

cmd_status() {
  local down=0 owner
  if kafka_status_check; then
    owner="external"; pid_alive "$RUN/kafka.pid" kafka.Kafka && owner="pid $(<"$RUN/kafka.pid")"
    printf 'kafka     up    %s (%s)\n' "$KAFKA_BOOTSTRAP" "$owner"
  else
    printf 'kafka     down\n'; down=1
  fi
  PG_CL_PORT="$PG_PORT"
  command -v pg_lsclusters >/dev/null 2>&1 && pg_detect
  if pg_login_check; then
    owner="not started by stack"; [[ -f $RUN/postgres.started ]] && owner="started by stack"
    printf 'postgres  up    %s (%s)\n' "$(pg_url)" "$owner"
  else
    printf 'postgres  down\n'; down=1
  fi
  if gcs_check; then
    owner="external"; pid_alive "$RUN/gcs.pid" fake-gcs-server && owner="pid $(<"$RUN/gcs.pid")"
    printf 'gcs       up    %s (%s)\n' "$GCS_URL" "$owner"
  else
    printf 'gcs       down\n'; down=1
  fi
  if command -v kcat >/dev/null 2>&1; then
    printf 'kcat      up    %s\n' "$(command -v kcat)"
  else
    printf 'kcat      down  (not installed)\n'; down=1
  fi
  return "$down"
}

usage() {
  cat <<EOF
usage: scripts/stack.sh up|down|status
  up      install what is missing, start Kafka, PostgreSQL and fake-gcs-server, wait until ready
  down    stop what \`up\` started
  status  print each component as up/down (exit 1 if any is down)
state: \${STACK_DIR:-<repo>/.stack}
EOF
}

resolve_paths
case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
