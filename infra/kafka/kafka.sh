#!/usr/bin/env bash
# Starts, stops and waits for a single-node Apache Kafka broker (KRaft, loopback, PLAINTEXT) from the jars in libs/.
# Usage: kafka.sh start|stop|status|wait|logs
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_DATA_DIR (<repo>/.cache/kafka),
#   KAFKA_PARTITIONS (6), KAFKA_HEAP (512m), KAFKA_JVM_OPTS, KAFKA_WAIT_TIMEOUT (60 s),
#   KAFKA_STOP_TIMEOUT (20 s), KAFKA_LIBS (<this dir>/libs),
#   KAFKA_OWNER_PID (stop the broker when that process is gone; tests), KAFKA_OWNER_REMOVES_DATA=1
#   (then also delete KAFKA_DATA_DIR, for temporary test brokers), KAFKA_CDS (1; 0 = no class-data archive).
#   KAFKA_SASL_PORT + KAFKA_SASL_USERS_FILE: also a SASL_PLAINTEXT listener on 127.0.0.1:KAFKA_SASL_PORT
#   taking SASL/PLAIN logins of the users in that file (one "user:password" a line; letters, digits
#   and ._- only). The PLAINTEXT listener stays (inter-broker traffic and clients without SASL).
#   KAFKA_SASL_TLS_PORT + KAFKA_TLS_KEYSTORE_PEM: with the above, also a SASL_SSL listener there, its
#   server key and certificate chain in that PEM file (unencrypted PKCS#8 key first, then the chain).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-9093}"
dir="${KAFKA_DATA_DIR:-$root/.cache/kafka}"
partitions="${KAFKA_PARTITIONS:-6}"
heap="${KAFKA_HEAP:-512m}"
libs="${KAFKA_LIBS:-$here/libs}"
wait_timeout="${KAFKA_WAIT_TIMEOUT:-60}"
stop_timeout="${KAFKA_STOP_TIMEOUT:-20}"
pidfile="$dir/kafka.pid"
# Class-data sharing: the classes a broker loaded, archived once next to the jars, cut start-up CPU by ~40%.
cds_archive="$libs/kafka.jsa"
cds_new="$dir/kafka.jsa.new"

die() { echo "kafka: $*" >&2; exit 1; }

# The broker's pid if it is running (the pid file names a live kafka.Kafka process), else nothing.
running_pid() {
  [[ -f $pidfile ]] || return 1
  local pid
  pid=$(<"$pidfile")
  [[ -n $pid ]] && grep -qa 'kafka.Kafka' "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

# What the broker logged last, on one line for error messages: its first ERROR/FATAL lines if any
# (the cause; shutdown chatter follows them), else the last lines of its log.
log_tail() {
  local lines from
  from=$(cat "$dir/log.offset" 2>/dev/null || echo 0) # only what this start logged
  lines=$( (cat "$dir/broker.out"; tail -c +$((from + 1)) "$dir/logs/server.log") 2>/dev/null | grep -E '^\[[^]]*\] (ERROR|FATAL)|Exception|^Error' |
    head -n 2 | cut -c 1-400 | tr '\n' '|' || true)
  [[ -n $lines ]] || lines=$(tail -q -n 3 "$dir/broker.out" "$dir/logs/server.log" 2>/dev/null | tail -n 3 | cut -c 1-300 | tr '\n' '|' || true)
  echo "${lines:-no broker log yet (see $dir)}"
}

check_libs() {
  compgen -G "$libs/kafka_2.13-*.jar" >/dev/null ||
    die "no Kafka jars in $libs; run scripts/setup.sh (or: mvn -q -f $here/pom.xml dependency:copy-dependencies)"
  command -v java >/dev/null || die "java not found; install a JDK 17 (apt-get install openjdk-17-jre-headless)"
}

# Renders server.properties for this port pair and data dir; formats the storage once.
# JVM flags to use the class-data archive, or to write one at exit when there is none yet.
cds_opts() {
  [[ ${KAFKA_CDS:-1} == 1 ]] || return 0
  if [[ -s $cds_archive ]]; then
    echo "-XX:SharedArchiveFile=$cds_archive -Xlog:cds=off -Xlog:cds+dynamic=off"
  else
    echo "-XX:ArchiveClassesAtExit=$cds_new -Xlog:cds=off -Xlog:cds+dynamic=off"
  fi
}

# After a clean exit that wrote an archive: publish it for later starts (atomic rename; first one wins).
publish_cds() {
  [[ -s $cds_new ]] || return 0
  if [[ ! -s $cds_archive ]] && cp "$cds_new" "$libs/.kafka.jsa.$$" 2>/dev/null; then
    mv -f "$libs/.kafka.jsa.$$" "$cds_archive"
  fi
  rm -f "$cds_new" "$libs/.kafka.jsa.$$"
}

prepare() {
  mkdir -p "$dir/data" "$dir/logs"
  sed -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$controller_port|g" \
    -e "s|@DATA_DIR@|$dir|g" -e "s|@PARTITIONS@|$partitions|g" \
    "$here/server.properties" >"$dir/server.properties"
  [[ -z ${KAFKA_SASL_PORT:-} ]] || sasl_listener >>"$dir/server.properties"
  chmod 600 "$dir/server.properties" # may hold the SASL users' passwords
  if [[ ! -f $dir/data/meta.properties ]]; then
    # A Kafka cluster id is 16 random bytes in URL-safe base64 without padding. It may start with "-":
    # passed as --cluster-id=ID so the option parser does not take it for an option.
    local cluster_id
    cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
    local cds=""
    [[ ${KAFKA_CDS:-1} == 1 && -s $cds_archive ]] && cds="-XX:SharedArchiveFile=$cds_archive -Xlog:cds=off -Xlog:cds+dynamic=off"
    java -Xmx256m -XX:TieredStopAtLevel=1 $cds -Dlog4j.configuration="file:$here/log4j.properties" \
      -Dkafka.logs.dir="$dir/logs" -cp "$libs/*" kafka.tools.StorageTool format \
      --cluster-id="$cluster_id" -c "$dir/server.properties" >"$dir/format.log" 2>&1 ||
      die "formatting storage in $dir/data failed: $(tail -n 2 "$dir/format.log" | tr '\n' ' ')"
  fi
}

# server.properties lines (later keys override the template's) for the SASL_PLAINTEXT listener.
sasl_listener() {
  local users=${KAFKA_SASL_USERS_FILE:-} jaas="" line
  [[ -r $users ]] || die "KAFKA_SASL_PORT needs KAFKA_SASL_USERS_FILE (user:password lines); got '${users}'"
  while IFS= read -r line || [[ -n $line ]]; do
    [[ -z $line ]] && continue
    [[ $line =~ ^([A-Za-z0-9._-]+):([A-Za-z0-9._-]+)$ ]] || die "$users: a line is not user:password (letters, digits, ._- only)"
    jaas+=" user_${BASH_REMATCH[1]}=\"${BASH_REMATCH[2]}\""
  done <"$users"
  [[ -n $jaas ]] || die "$users: no users"
  local listeners="PLAINTEXT://127.0.0.1:$port,SASL_PLAINTEXT://127.0.0.1:$KAFKA_SASL_PORT"
  local map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT"
  if [[ -n ${KAFKA_SASL_TLS_PORT:-} ]]; then
    [[ -r ${KAFKA_TLS_KEYSTORE_PEM:-} ]] || die "KAFKA_SASL_TLS_PORT needs KAFKA_TLS_KEYSTORE_PEM (key + certificate chain); got '${KAFKA_TLS_KEYSTORE_PEM:-}'"
    listeners+=",SASL_SSL://127.0.0.1:$KAFKA_SASL_TLS_PORT"
    map+=",SASL_SSL:SASL_SSL"
  fi
  cat <<PROPS
listeners=$listeners,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=$listeners
listener.security.protocol.map=$map
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required$jaas;
PROPS
  [[ -z ${KAFKA_SASL_TLS_PORT:-} ]] || cat <<PROPS
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required$jaas;
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$KAFKA_TLS_KEYSTORE_PEM
PROPS
}

start() {
  check_libs
  local pid
  if pid=$(running_pid); then
    echo "kafka: already running (pid $pid) on 127.0.0.1:$port"
    return 0
  fi
  prepare
  rm -f "$cds_new"
  : >"$dir/broker.out"
  stat -c %s "$dir/logs/server.log" >"$dir/log.offset" 2>/dev/null || echo 0 >"$dir/log.offset"
  # setsid: the broker outlives this script and is not killed with the caller's process group.
  setsid java -Xms128m -Xmx"$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true $(cds_opts) ${KAFKA_JVM_OPTS:-} \
    -Dlog4j.configuration="file:$here/log4j.properties" -Dkafka.logs.dir="$dir/logs" \
    -cp "$libs/*" kafka.Kafka "$dir/server.properties" >"$dir/broker.out" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$pidfile"
  [[ -n ${KAFKA_OWNER_PID:-} ]] && watch_owner "$pid" "$KAFKA_OWNER_PID"
  echo "kafka: started (pid $pid) on 127.0.0.1:$port, data in $dir"
}

# A test process that dies without cleaning up (SIGKILL, crash) must not leave its broker running:
# a detached watcher ends the broker once the owner is gone, and exits with the broker.
watch_owner() {
  local broker=$1 owner=$2 remove=${KAFKA_OWNER_REMOVES_DATA:-0}
  setsid bash -c '
    while kill -0 "$1" 2>/dev/null; do
      if ! kill -0 "$2" 2>/dev/null; then
        kill -CONT "$1"; kill -TERM "$1"
        for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$1" 2>/dev/null
        [[ $3 == 1 ]] && rm -rf "$4"
        exit 0
      fi
      sleep 1
    done' kafka-owner-watch "$broker" "$owner" "$remove" "$dir" >/dev/null 2>&1 </dev/null &
}

wait_ready() {
  local pid rc=0
  pid=$(running_pid) || die "not running (no live broker for $pidfile); last log: $(log_tail)"
  node "$here/probe.mjs" 127.0.0.1 "$port" "$wait_timeout" "$pid" || rc=$?
  case $rc in
    0) echo "kafka: ready on 127.0.0.1:$port" ;;
    2) die "broker exited while starting; last log: $(log_tail)" ;;
    *) die "broker on 127.0.0.1:$port not ready after ${wait_timeout}s; last log: $(log_tail)" ;;
  esac
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$pidfile"
    echo "kafka: not running"
    return 0
  fi
  kill -CONT "$pid" 2>/dev/null || true # a paused (SIGSTOP) broker cannot handle SIGTERM
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null && ((waited < stop_timeout * 10)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "kafka: no exit ${stop_timeout}s after SIGTERM, sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$cds_new" # possibly cut short while being written
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$pidfile"
  publish_cds
  echo "kafka: stopped"
}

status() {
  local pid
  if pid=$(running_pid); then
    echo "kafka: running (pid $pid) on 127.0.0.1:$port, data in $dir"
  else
    echo "kafka: stopped"
    return 3
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  wait) wait_ready ;;
  logs) tail -n "${2:-50}" "$dir/logs/server.log" ;;
  *) die "usage: kafka.sh start|stop|status|wait|logs [N]" ;;
esac
