#!/usr/bin/env bash
# Removes what crashed runs may have left: demo/test pods (netns, veths, bridges), their processes,
# collectors started by the demo, L7 proxies of test and demo collectors, the cgroups policy tests
# create, and the pinned BPF objects the tests and the demo made. Never a production collector's pins
# (the default --pin-path) or state (the default --state-dir), nor the pins of a test that is still running.
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
# L7 proxies run detached and outlive their collector. Only those of test collectors (state dirs in
# the temp dir: the harness's flowlens-state-*, flowlens-h4c-*, the L7 tests' h3l*-state-*) and of the
# demo (/run/flowlens-fld); a proxy of a real state dir (the default --state-dir) is left alone.
tmp=${TMPDIR:-/tmp}
# State dirs of test collectors whose test still runs (harness records: owner pid, state dir).
live_state_dirs=$(for rec in /run/flowlens-harness-pins/flowlens-test-*; do
  [[ -f $rec ]] || continue
  owner= sdir=
  { read -r owner; read -r sdir; } <"$rec" || true
  [[ $owner =~ ^[0-9]+$ ]] && kill -0 "$owner" 2>/dev/null && echo "$sdir"
done)
for cmdline in /proc/[0-9]*/cmdline; do
  pid=${cmdline#/proc/}
  pid=${pid%/cmdline}
  mapfile -d '' -t argv 2>/dev/null <"$cmdline" || continue # gone meanwhile
  ((${#argv[@]})) || continue
  is_proxy=
  dir=
  for ((i = 0; i < ${#argv[@]}; i++)); do
    [[ ${argv[i]} == *l7proxy* ]] && is_proxy=1
    [[ ${argv[i]} == --state-dir ]] && dir=${argv[i + 1]:-}
    [[ ${argv[i]} == --state-dir=* ]] && dir=${argv[i]#--state-dir=}
  done
  [[ -n $is_proxy && -n $dir ]] || continue
  grep -qxF -- "$dir" <<<"$live_state_dirs" && continue # a running test's collector still uses it
  case $dir in
  "$tmp"/flowlens-* | "$tmp"/h3l*-state-* | /tmp/flowlens-* | /tmp/h3l*-state-* | /run/flowlens-fld/*)
    kill -TERM "$pid" 2>/dev/null && echo "cleanup: stopped L7 proxy $pid (state dir $dir)"
    ;;
  esac
done
bash "$root/scripts/cleanup-pins.sh"
rm -rf /run/flowlens-fld
# Empty cgroups of the socket-policy tests: test/policy/socket.test.ts (p4c-<pid>, with a child),
# the collector's datapath tests (h2p-<n>, h2p-pins-<n>), libbpf-ts's (h2p<n>-lbt, lbt-test-<n>).
# rmdir removes only empty ones, children first; one still holding processes is named.
for cg in /sys/fs/cgroup/unified/{p4c-*,h2p*,lbt-test-*}; do
  [[ -d $cg ]] || continue
  find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
  [[ -d $cg ]] && echo "cleanup: cgroup $cg still has processes ($(tr '\n' ' ' <"$cg/cgroup.procs")); left in place" >&2
done
# Other suites' own pins: the policy-service test's (h4c-<pid>), the L7 tests' (h3l?-<pid>), the
# datapath and libbpf-ts tests' (h2p*, lbt-test-*).
if [[ -d /sys/fs/bpf ]]; then
  for pin in /sys/fs/bpf/{h4c-*,h3l*-*,h2p*,lbt-test-*}; do [[ -e $pin ]] && rm -rf "$pin"; done
fi
exit 0
