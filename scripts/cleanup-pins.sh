#!/usr/bin/env bash
# Part of cleanup.sh: removes the pins the tests and the demo made, and nothing else — never a
# production collector's (the default --pin-path), never those of a test whose process still runs.
#   test collectors: the pin dirs the harness recorded in $FLOWLENS_PIN_RECORDS (a file named after the
#     pin dir: owner pid, state dir), and unrecorded flowlens-test-<pid>-<n> dirs, once <pid> is gone;
#   the demo: the pin path it recorded in /run/flowlens-fld/pin-path, only with the demo's marker and
#     once its collector (/run/flowlens-fld/collector.pid) is gone.
# FLOWLENS_BPFFS and FLOWLENS_PIN_RECORDS exist for the isolation test (a plain temp dir stands in).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bpffs=${FLOWLENS_BPFFS:-/sys/fs/bpf}
records=${FLOWLENS_PIN_RECORDS:-/run/flowlens-harness-pins}
demo_state=${FLOWLENS_DEMO_STATE:-/run/flowlens-fld}
tmp=${TMPDIR:-/tmp}
# shellcheck source=scripts/demo-pins.sh
source "$root/scripts/demo-pins.sh"

alive() { [[ $1 =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null; }
# Only unpinned, not `flowlens-collector uninstall`: the veths are gone and their ifindexes may already
# name a live test's interfaces, whose tc filters an uninstall would detach.
unpin() { rm -rf "$1" && echo "cleanup: removed pins $1"; }

for rec in "$records"/flowlens-test-*; do
  [[ -f $rec ]] || continue
  owner=
  sdir=
  { read -r owner; read -r sdir; } <"$rec" || true
  alive "$owner" && continue
  [[ -e $bpffs/$(basename "$rec") ]] && unpin "$bpffs/$(basename "$rec")"
  case $sdir in "$tmp"/flowlens-state-* | /tmp/flowlens-state-*) rm -rf "$sdir" ;; esac
  rm -f "$rec"
done
for pin in "$bpffs"/flowlens-test-*; do
  [[ -d $pin ]] || continue
  owner=${pin##*/flowlens-test-}
  alive "${owner%%-*}" || unpin "$pin"
done

demo_pin=$(cat "$demo_state/pin-path" 2>/dev/null || echo "$DEMO_PIN_DEFAULT")
case ${demo_pin##*/} in flowlens-demo | flowlens-demo-*) demo_pin=$bpffs/${demo_pin##*/} ;; *) demo_pin= ;; esac
if [[ -n $demo_pin && -d $demo_pin/$DEMO_PIN_MARKER ]]; then
  pid=$(cat "$demo_state/collector.pid" 2>/dev/null || true)
  for _ in $(seq 1 30); do alive "$pid" || break; sleep 0.1; done
  alive "$pid" || unpin "$demo_pin"
fi
exit 0
