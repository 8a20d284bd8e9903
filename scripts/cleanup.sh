#!/usr/bin/env bash
# Removes what crashed runs may have left: demo/test pods (netns, veths, bridges), their processes,
# collectors started by the demo, and pinned BPF objects under /sys/fs/bpf/flowlens*.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ $EUID -eq 0 ]] || { echo "cleanup: must run as root" >&2; exit 1; }

# Prefixes: the demo's, every prefix the harness recorded in /run/flowlens-harness, and any extra
# ones named in FLOWLENS_TEST_PREFIXES (suites that create pods without the harness).
prefixes=(fld ${FLOWLENS_TEST_PREFIXES:-})
if [[ -d /run/flowlens-harness ]]; then
  for f in /run/flowlens-harness/*; do [[ -e $f ]] && prefixes+=("$(basename "$f")"); done
fi
for p in $(printf '%s\n' "${prefixes[@]}" | sort -u); do
  [[ $p =~ ^[a-z][a-z0-9]{1,9}$ ]] || continue
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$p-" || true); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  for link in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E "^$p(v[0-9]+|-.+)$" || true); do
    ip link del "$link" 2>/dev/null || true
  done
  rm -f "/run/flowlens-harness/$p"
done
# The demo's collector still running (e.g. after kill -9 of demo.sh): only the pid it recorded, and only
# if that pid is still a flowlens-collector.
pidfile=/run/flowlens-fld/collector.pid
if [[ -f $pidfile ]]; then
  pid=$(cat "$pidfile")
  if [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q flowlens-collector; then
    kill -TERM "$pid" 2>/dev/null || true
  fi
fi
rm -rf /run/flowlens-fld
if [[ -d /sys/fs/bpf ]]; then
  for pin in /sys/fs/bpf/flowlens*; do [[ -e $pin ]] && rm -rf "$pin"; done
fi
exit 0
