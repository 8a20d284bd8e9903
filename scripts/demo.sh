#!/usr/bin/env bash
# Quick start: set up the machine, create the demo pods, generate steady traffic between them, start the
# collector on them and show live flows with `flowlens observe --follow`. Ctrl-C removes everything.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
die() { echo "demo: $*" >&2; exit 1; }
[[ $EUID -eq 0 ]] || die "must run as root: sudo bash scripts/demo.sh"

# FLOWLENS_SKIP_SETUP=1 skips the set-up when the machine is known to be ready (faster re-runs).
[[ ${FLOWLENS_SKIP_SETUP:-0} == 1 ]] || bash scripts/setup.sh

state=/run/flowlens-fld
listen=${FLOWLENS_DEMO_LISTEN:-127.0.0.1:4244}
servers="$root/test/harness/servers"
pids=()

cleanup() {
  trap - EXIT INT TERM
  echo "demo: cleaning up" >&2
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash scripts/pods.sh down >/dev/null || echo "demo: pods.sh down failed; run: sudo bash scripts/pods.sh down" >&2
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Each background job gets its own process group (set -m) so cleanup can kill it with its children.
set -m
bg() { "$@" & pids+=("$!"); }

bash scripts/pods.sh up --out "$state"
# shellcheck source=/dev/null
source "$state/pods.env"
in_pod() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# Servers: backend serves HTTP and a DNS-like UDP echo, db accepts TCP like a database.
bg in_pod "$POD_BACKEND_NETNS" node "$servers/http-server.mjs" 8080 >/dev/null
bg in_pod "$POD_BACKEND_NETNS" node "$servers/udp-echo.mjs" 5353 >/dev/null
bg in_pod "$POD_DB_NETNS" node "$servers/tcp-sink.mjs" 5432 >/dev/null
sleep 1

# Steady traffic, each kind in its own loop.
every() { local period=$1; shift; while true; do "$@" >/dev/null 2>&1 || true; sleep "$period"; done; }
bg every 0.5 in_pod "$POD_FRONTEND_NETNS" curl -s -o /dev/null --max-time 2 "http://$POD_BACKEND_IPV4:8080/api/items"
bg every 3 in_pod "$POD_FRONTEND_NETNS" curl -s -o /dev/null --max-time 2 "http://[$POD_BACKEND_IPV6]:8080/api/health"
bg every 2 in_pod "$POD_BACKEND_NETNS" node "$servers/tcp-send.mjs" "$POD_DB_IPV4" 5432 4096
bg every 2 in_pod "$POD_FRONTEND_NETNS" node "$servers/udp-query.mjs" "$POD_BACKEND_IPV4" 5353 "query backend.default A"
bg every 3 in_pod "$POD_FRONTEND_NETNS" ping -n -c 1 -W 1 "$POD_DB_IPV4"
bg every 5 in_pod "$POD_CART_NETNS" curl -s -o /dev/null --max-time 2 "http://$POD_BACKEND_IPV4:8080/api/cart"
bg every 5 in_pod "$POD_FRONTEND_NETNS" curl -s -o /dev/null --max-time 2 "http://$POD_DB_IPV4:9999/"

# The collector on the demo endpoints, then live flows in the foreground.
log="${TMPDIR:-/tmp}/flowlens-demo-collector.log"
bg node services/collector/bin/flowlens-collector.js --endpoints "$state/endpoints.yaml" --listen-address "$listen" >"$log" 2>&1
collector=${pids[-1]}
echo "$collector" >"$state/collector.pid"
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/${listen%:*}/${listen##*:}") 2>/dev/null && break
  kill -0 "$collector" 2>/dev/null || die "collector exited: $(tail -n 5 "$log")"
  sleep 0.2
done
(exec 3<>"/dev/tcp/${listen%:*}/${listen##*:}") 2>/dev/null || die "collector is not listening on $listen after 20 s: $(tail -n 5 "$log")"
echo "demo: collector on $listen (log $log); showing live flows, Ctrl-C to stop" >&2
set +m
node services/cli/bin/flowlens.js observe --server "$listen" --follow
