#!/usr/bin/env bash
# Runs Debian's clickhouse-server for Flowlens: project config, own data dir, loopback ports, unprivileged user.
# Usage: clickhouse.sh start|stop|status|wait
# Env:   FLOWLENS_CLICKHOUSE_DIR        data dir (default /var/lib/flowlens/clickhouse); config, data and logs live here
#        FLOWLENS_CLICKHOUSE_HTTP_PORT  HTTP port on 127.0.0.1 (default 8123)
#        FLOWLENS_CLICKHOUSE_TCP_PORT   native port on 127.0.0.1 (default 9000)
#        FLOWLENS_CLICKHOUSE_PASSWORD   password of the writer user "default" (default empty)
#        FLOWLENS_CLICKHOUSE_READER_PASSWORD  password of the read-only user "flowlens_reader" (default empty)
#        FLOWLENS_CLICKHOUSE_WAIT       seconds start/wait allow for /ping to answer (default 30)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${FLOWLENS_CLICKHOUSE_DIR:-/var/lib/flowlens/clickhouse}"
http_port="${FLOWLENS_CLICKHOUSE_HTTP_PORT:-8123}"
tcp_port="${FLOWLENS_CLICKHOUSE_TCP_PORT:-9000}"
writer_password="${FLOWLENS_CLICKHOUSE_PASSWORD:-}"
reader_password="${FLOWLENS_CLICKHOUSE_READER_PASSWORD:-}"
wait_s="${FLOWLENS_CLICKHOUSE_WAIT:-30}"
run_user=flowlens-ch
server_bin="$(command -v clickhouse-server || echo /usr/sbin/clickhouse-server)"
pid_file="$dir/clickhouse-server.pid"
log_file="$dir/log/clickhouse-server.log"
err_file="$dir/log/clickhouse-server.err.log"
out_file="$dir/log/stdout.log"

die() { echo "clickhouse: $*" >&2; exit 1; }

for p in "$http_port" "$tcp_port"; do
  [[ $p =~ ^[0-9]+$ ]] && ((p > 0 && p < 65536)) || die "port '$p' is not a number between 1 and 65535"
done
for pw in "$writer_password" "$reader_password"; do
  [[ $pw =~ ^[A-Za-z0-9._+=-]*$ ]] || die "passwords may only use letters, digits and . _ + = -"
done

pid_alive() { [[ -f $pid_file ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

ping_ok() { [[ $(curl -s --max-time 1 "http://127.0.0.1:$http_port/ping" 2>/dev/null) == "Ok." ]]; }

log_tail() {
  local f
  for f in "$err_file" "$out_file" "$log_file"; do
    if [[ -s $f ]]; then tail -n 3 "$f" | tr '\n' ' ' | cut -c1-400; return; fi
  done
  echo "(no log output in $dir/log)"
}

wait_ready() {
  local deadline=$((SECONDS + wait_s))
  while ((SECONDS < deadline)); do
    ping_ok && return 0
    if [[ -f $pid_file ]] && ! pid_alive; then
      die "server exited during start-up; log: $(log_tail)"
    fi
    sleep 0.2
  done
  die "no answer on http://127.0.0.1:$http_port/ping after ${wait_s}s; log: $(log_tail)"
}

# The server drops root itself only when told to; we start it as its own user instead.
ensure_user() {
  ((EUID == 0)) || return 0
  id -u "$run_user" >/dev/null 2>&1 && return 0
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$run_user" \
    || die "cannot create system user $run_user (useradd failed)"
}

render() { # template → file in the data dir, @…@ filled
  sed -e "s|@DIR@|$dir|g" -e "s|@HTTP_PORT@|$http_port|g" -e "s|@TCP_PORT@|$tcp_port|g" \
    -e "s|@WRITER_PASSWORD@|$writer_password|g" -e "s|@READER_PASSWORD@|$reader_password|g" "$1" >"$2"
}

start() {
  [[ -x $server_bin ]] || die "clickhouse-server not found; install it: apt-get install clickhouse-server clickhouse-client (or run scripts/setup.sh)"
  if pid_alive; then
    ping_ok && { echo "clickhouse: already running (pid $(cat "$pid_file"), http $http_port)"; return 0; }
    wait_ready; return 0
  fi
  ping_ok && die "port $http_port already answers /ping but not from $dir; stop that server or pick FLOWLENS_CLICKHOUSE_HTTP_PORT"
  ensure_user
  mkdir -p "$dir"/{data,tmp,user_files,format_schemas,log,etc}
  render "$here/config.xml.in" "$dir/etc/config.xml"
  render "$here/users.xml.in" "$dir/etc/users.xml"
  chmod 0640 "$dir/etc/users.xml"
  : >"$out_file"
  if ((EUID == 0)); then
    chown -R "$run_user:" "$dir"
    chmod 0750 "$dir"
    # the dir's parents must be traversable by the server user (mkdtemp makes 0700 dirs)
    setsid setpriv --reuid="$run_user" --regid="$run_user" --init-groups \
      "$server_bin" --config-file="$dir/etc/config.xml" \
      </dev/null >>"$out_file" 2>&1 &
  else
    setsid "$server_bin" --config-file="$dir/etc/config.xml" </dev/null >>"$out_file" 2>&1 &
  fi
  # setpriv and the server exec in place (no job control here, so setsid does not fork): $! is the server
  echo $! >"$pid_file"
  wait_ready
  echo "clickhouse: running (pid $(cat "$pid_file"), http 127.0.0.1:$http_port, native 127.0.0.1:$tcp_port, dir $dir)"
}

stop() {
  if ! pid_alive; then
    rm -f "$pid_file"
    echo "clickhouse: not running ($dir)"
    return 0
  fi
  local pid i
  pid="$(cat "$pid_file")"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$pid_file"
  echo "clickhouse: stopped (pid $pid)"
}

status() {
  if pid_alive && ping_ok; then
    echo "clickhouse: running (pid $(cat "$pid_file"), http 127.0.0.1:$http_port)"
  elif pid_alive; then
    echo "clickhouse: starting or unhealthy (pid $(cat "$pid_file"), no /ping answer on $http_port)"; return 1
  else
    echo "clickhouse: not running ($dir)"; return 3
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  wait) wait_ready; echo "clickhouse: ready on http://127.0.0.1:$http_port" ;;
  *) die "usage: clickhouse.sh start|stop|status|wait" ;;
esac
