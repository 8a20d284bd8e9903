#!/usr/bin/env bash
# One-time (and idempotent) machine set-up, as root on Debian 12: Debian packages, bpffs + tracefs,
# npm dependencies, and the build (BPF object, libbpf-ts addon, protos, services).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { echo "setup: $*"; }
die() { echo "setup: $*" >&2; exit 1; }

[[ $(uname -s) == Linux ]] || die "Flowlens needs Linux (found $(uname -s))"
[[ $EUID -eq 0 ]] || die "must run as root: sudo bash scripts/setup.sh"
[[ -r /sys/kernel/btf/vmlinux ]] || die "kernel has no BTF (/sys/kernel/btf/vmlinux missing); use a kernel built with CONFIG_DEBUG_INFO_BTF=y"

# Debian packages: install only what is missing, refresh the index only if something is.
packages=(clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev iproute2 iputils-ping iperf3 curl make gcc g++ python3 python3-venv python3-scapy pkg-config openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  command -v apt-get >/dev/null || die "apt-get not found; install these packages by hand: ${missing[*]}"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed; check network access to the Debian mirror"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
fi
command -v node >/dev/null || die "node not found; install Node.js 20 or newer (https://nodejs.org)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || die "Node.js $(node --version) is too old; install Node.js 20 or newer"

# Filesystems the collector needs: bpffs for pinned maps, tracefs for tracepoints.
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || die "cannot mount bpffs at /sys/fs/bpf"
if ! mountpoint -q /sys/kernel/tracing; then
  mount -t tracefs tracefs /sys/kernel/tracing || die "cannot mount tracefs at /sys/kernel/tracing"
fi

cd "$root"
# npm: clean install on a fresh checkout; incremental install when a package.json or the lock changed
# since the last install (npm ci would wipe node_modules under anything already running).
stamp=node_modules/.package-lock.json
if [[ ! -d node_modules ]]; then
  if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi \
    || die "npm install failed; see the npm output above"
elif [[ ! -f $stamp ]] || [[ -n $(find package.json package-lock.json bpf/libbpf-ts/package.json proto/package.json \
  packages/*/package.json services/*/package.json test/package.json -newer "$stamp" 2>/dev/null) ]]; then
  say "dependencies changed, running npm install"
  npm install --no-audit --no-fund || die "npm install failed; see the npm output above"
  touch "$stamp"
fi

# --- Kafka broker (infra/kafka) ---------------------------------------------------------------------
# A JDK 17 and Maven (Debian packages, only if missing), then the broker jars from Maven Central into
# infra/kafka/libs (skipped when the pom's version is already there).
kafka_missing=()
command -v java >/dev/null || kafka_missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || kafka_missing+=(maven)
if ((${#kafka_missing[@]})); then
  say "installing ${kafka_missing[*]} (for the Kafka broker)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed; check network access to the Debian mirror"
  apt-get install -y -qq --no-install-recommends "${kafka_missing[@]}" >/dev/null || die "apt-get install ${kafka_missing[*]} failed"
fi
java_major=$(java -version 2>&1 | sed -n 's/.*version "\(1\.\)\{0,1\}\([0-9]*\).*/\2/p' | head -n 1)
((${java_major:-0} >= 17)) || die "Java ${java_major:-?} is too old for the Kafka broker; install openjdk-17-jre-headless"
kafka_version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' infra/kafka/pom.xml)
if [[ ! -f infra/kafka/libs/kafka_2.13-$kafka_version.jar ]]; then
  say "fetching the Kafka $kafka_version broker jars from Maven Central"
  rm -rf infra/kafka/libs
  mvn -q -B -Dstyle.color=never -f infra/kafka/pom.xml dependency:copy-dependencies >/tmp/flowlens-kafka-mvn.log 2>&1 \
    || die "fetching Kafka jars with Maven failed ($(grep -o -m 1 -E '(could not be resolved|Could not (find|transfer) artifact):? [^ ,]+' /tmp/flowlens-kafka-mvn.log | head -n 1 || true)); check access to Maven Central; full log: /tmp/flowlens-kafka-mvn.log"
fi
# --- end Kafka broker ---------------------------------------------------------------------------------

# --- ClickHouse server (infra/clickhouse) ----------------------------------------------------------
# Debian's clickhouse-server and clickhouse-client, only if missing. The system service is neither
# enabled nor started (a temporary policy-rc.d says no): infra/clickhouse/clickhouse.sh runs our own
# server with the project config, data dir and ports.
if ! command -v clickhouse-server >/dev/null && [[ ! -x /usr/sbin/clickhouse-server ]] || ! command -v clickhouse-client >/dev/null; then
  say "installing clickhouse-server clickhouse-client (Debian; the system service stays off)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed; check network access to the Debian mirror"
  policy_rc=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    policy_rc=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' >"$policy_rc" && chmod +x "$policy_rc"
  fi
  ch_rc=0
  apt-get install -y -qq --no-install-recommends clickhouse-server clickhouse-client >/dev/null || ch_rc=$?
  [[ -n $policy_rc ]] && rm -f "$policy_rc"
  ((ch_rc == 0)) || die "apt-get install clickhouse-server clickhouse-client failed"
fi
# --- end ClickHouse server -------------------------------------------------------------------------

# The BPF object first (clang + bpftool; vmlinux.h from this kernel), then every workspace via turbo.
make -C bpf || die "building the BPF programs failed (make -C bpf); see the compiler output above"
npm run build || die "npm run build failed; see the output above"
say "done"
