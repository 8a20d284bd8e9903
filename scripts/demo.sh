#!/usr/bin/env bash
# Quick start: set up the machine, create the demo pods, generate steady traffic between them, run the
# whole pipeline on them — collector → relay → Kafka → ingester → ClickHouse — and show live flows
# through the relay with `flowlens observe --follow`. Ctrl-C stops and removes everything, including
# what the collector leaves in force on purpose (tc filters, pinned maps and links, the L7 proxy).
# The founding example of network policy runs in it too: app1 (HTTP on 80, /public and /restricted)
# called by app2 and app3; the demo prints how to apply infra/demo/policies/founding.yaml and watch
# the verdicts.
# FLOWLENS_DIRECT=1: no Kafka; the relay writes straight to ClickHouse (single-node mode).
# FLOWLENS_DEMO_POLICY=1: apply the founding policy as soon as the collector is up.
# FLOWLENS_DEMO_PIN_PATH: the collector's pin path (default /sys/fs/bpf/flowlens-demo; must be a
# flowlens-demo one: the demo never pins in, or adopts, a production collector's pins).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
die() { echo "demo: $*" >&2; exit 1; }
[[ $EUID -eq 0 ]] || die "must run as root: sudo bash scripts/demo.sh"
# shellcheck source=scripts/demo-pins.sh
source scripts/demo-pins.sh
pin=${FLOWLENS_DEMO_PIN_PATH:-$DEMO_PIN_DEFAULT}
pin=${pin%/}
why=$(demo_pins_refusal "$pin") || die "$why"

# FLOWLENS_SKIP_SETUP=1 skips the set-up when the machine is known to be ready (faster re-runs).
[[ ${FLOWLENS_SKIP_SETUP:-0} == 1 ]] || bash scripts/setup.sh

state=/run/flowlens-fld
listen=${FLOWLENS_DEMO_LISTEN:-127.0.0.1:4244}
# Policy changes go through the collector's root-only admin socket; the demo's is its own.
admin="unix:$state/admin/admin.sock"
servers="$root/test/harness/servers"
pids=()

cleanup() {
  trap - EXIT INT TERM
  echo "demo: cleaning up" >&2
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n ${kafka_started:-} ]] && KAFKA_DATA_DIR="$state/kafka" bash infra/kafka/kafka.sh stop >/dev/null 2>&1
  [[ -n ${clickhouse_started:-} ]] && FLOWLENS_CLICKHOUSE_DIR="$state/clickhouse" bash infra/clickhouse/clickhouse.sh stop >/dev/null 2>&1
  rm -rf "$state/kafka" "$state/clickhouse" "$state/api"
  # The datapath outlives the collector by design (enforcement goes on): remove it with the demo.
  [[ -n ${collector_started:-} ]] && { node services/collector/bin/flowlens-collector.js uninstall --pin-path "$pin" --state-dir "$state/collector" >/dev/null 2>&1 ||
    echo "demo: uninstall failed; run: sudo npx flowlens-collector uninstall --pin-path $pin --state-dir $state/collector" >&2; }
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
bg in_pod "$POD_APP1_NETNS" node infra/demo/app1-server.mjs 80 >/dev/null
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
# The founding example's callers: app2 GETs /public then /restricted on one keep-alive connection and
# POSTs to /public; app3 GETs /public. With the policy applied: 200, 403, 403; app3 is dropped.
bg every 2 in_pod "$POD_APP2_NETNS" curl -s -o /dev/null --max-time 2 "http://$POD_APP1_IPV4/public" "http://$POD_APP1_IPV4/restricted"
bg every 5 in_pod "$POD_APP2_NETNS" curl -s -o /dev/null --max-time 2 -X POST -d "x=1" "http://$POD_APP1_IPV4/public"
bg every 3 in_pod "$POD_APP3_NETNS" curl -s -o /dev/null --max-time 2 "http://$POD_APP1_IPV4/public"

# The collector on the demo endpoints, then live flows in the foreground.
log="${TMPDIR:-/tmp}/flowlens-demo-collector.log"
collector_started=1
demo_pins_claim "$pin"
echo "$pin" >"$state/pin-path"
bg node services/collector/bin/flowlens-collector.js --endpoints "$state/endpoints.yaml" --listen-address "$listen" \
  --pin-path "$pin" --state-dir "$state/collector" --admin-socket "${admin#unix:}" >"$log" 2>&1
collector=${pids[-1]}
echo "$collector" >"$state/collector.pid"
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/${listen%:*}/${listen##*:}") 2>/dev/null && break
  kill -0 "$collector" 2>/dev/null || die "collector exited: $(tail -n 5 "$log")"
  sleep 0.2
done
(exec 3<>"/dev/tcp/${listen%:*}/${listen##*:}") 2>/dev/null || die "collector is not listening on $listen after 20 s: $(tail -n 5 "$log")"
echo "demo: collector on $listen (log $log)" >&2
policy=infra/demo/policies/founding.yaml
if [[ ${FLOWLENS_DEMO_POLICY:-0} == 1 ]]; then
  node services/cli/bin/flowlens.js policy apply -f "$policy" --server "$admin" >&2 || die "applying $policy failed"
fi

# History: ClickHouse (our own server process, data under $state), Kafka unless direct mode.
relay_listen=${FLOWLENS_DEMO_RELAY_LISTEN:-127.0.0.1:4245}
ch_url=http://127.0.0.1:${FLOWLENS_CLICKHOUSE_HTTP_PORT:-8123}
FLOWLENS_CLICKHOUSE_DIR="$state/clickhouse" bash infra/clickhouse/clickhouse.sh start >/dev/null || die "ClickHouse did not start"
clickhouse_started=1
if [[ ${FLOWLENS_DIRECT:-0} == 1 ]]; then
  export_flags=(--clickhouse-url "$ch_url")
  mode="direct: relay → ClickHouse"
else
  KAFKA_DATA_DIR="$state/kafka" bash infra/kafka/kafka.sh start >/dev/null || die "Kafka did not start"
  kafka_started=1
  KAFKA_DATA_DIR="$state/kafka" bash infra/kafka/kafka.sh wait >/dev/null || die "Kafka did not answer"
  bash infra/kafka/topics.sh 127.0.0.1:9092 >/dev/null || die "creating the Kafka topics failed"
  export_flags=(--kafka-brokers 127.0.0.1:9092)
  mode="relay → Kafka → ingester → ClickHouse"
  bg node services/ingester/bin/flowlens-ingester.js --kafka-brokers 127.0.0.1:9092 --clickhouse-url "$ch_url" \
    >"${TMPDIR:-/tmp}/flowlens-demo-ingester.log" 2>&1
fi
bg node services/relay/bin/flowlens-relay.js --peers "$listen" --listen-address "$relay_listen" "${export_flags[@]}" \
  >"${TMPDIR:-/tmp}/flowlens-demo-relay.log" 2>&1
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/${relay_listen%:*}/${relay_listen##*:}") 2>/dev/null && break
  sleep 0.2
done
# The history API (flowlens-api) on the demo's ClickHouse, loopback only, with a token of the demo's own:
# one file serves as the API's --tokens-file and the CLI's --token-file, root-only under $state/api.
api_listen=${FLOWLENS_DEMO_API_LISTEN:-127.0.0.1:4280}
api_url=http://$api_listen
api_token=$state/api/token
install -d -m 0700 "$state/api"
(umask 077 && printf '%s\n' "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" >"$api_token")
api_log="${TMPDIR:-/tmp}/flowlens-demo-api.log"
bg node services/api/bin/flowlens-api.js --listen-address "$api_listen" --tokens-file "$api_token" --clickhouse-url "$ch_url" >"$api_log" 2>&1
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/${api_listen%:*}/${api_listen##*:}") 2>/dev/null && break
  kill -0 "${pids[-1]}" 2>/dev/null || die "flowlens-api exited: $(tail -n 5 "$api_log")"
  sleep 0.2
done
auth="Authorization: Bearer \$(cat $api_token)"

cat >&2 <<EOT
demo: pipeline up ($mode)
  live flows, through the relay:   npx flowlens observe --server $relay_listen -f
  network policy, the founding example (app1 takes GET /public from app2 only):
    apply it (as root):            sudo npx flowlens policy apply -f $policy --server $admin
    its drops, with the policy:    npx flowlens observe --server $listen --verdict DROPPED --print-policy-names -f
    L7 verdicts (200 / 403):       npx flowlens observe --server $listen --type l7 -f
    why app3 is dropped:           npx flowlens policy trace --from-pod default/app3 --to-pod default/app1 --dport 80 --server $listen
    remove it (as root):           sudo npx flowlens policy delete app1-founding --server $admin
  history API, $api_url (as root: the token file is root-only; log $api_log):
    coverage of each table:        curl -s -H "$auth" $api_url/api/v1/status
    drops of the last 10 minutes:  curl -s -H "$auth" "$api_url/api/v1/flows?since=10m&verdict=DROPPED&limit=5"
    read-only SQL:                 curl -s -H "$auth" -H 'content-type: application/json' -d '{"query":"SELECT verdict, count() AS n FROM flowlens.flows_dedup GROUP BY verdict"}' $api_url/api/v1/sql
    observe over history, then live: npx flowlens observe --since 10m -f --api $api_url --token-file $api_token --server $relay_listen
    SQL from the CLI:              npx flowlens sql "SELECT src_pod, dst_pod, verdict, count() AS n FROM flowlens.flows_dedup GROUP BY src_pod, dst_pod, verdict ORDER BY n DESC LIMIT 10" --api $api_url --token-file $api_token
  history, in ClickHouse:          clickhouse-client --port ${FLOWLENS_CLICKHOUSE_TCP_PORT:-9000} --query "SELECT src_pod, dst_pod, dst_port, verdict, count() FROM flowlens.flows FINAL GROUP BY src_pod, dst_pod, dst_port, verdict ORDER BY count() DESC LIMIT 20"
demo: showing live flows through the relay, Ctrl-C to stop
EOT
set +m
node services/cli/bin/flowlens.js observe --server "$relay_listen" --follow
