#!/usr/bin/env bash
# Runs every benchmark in sequence (as root, after bash scripts/setup.sh) and prints a summary table:
# metric, measured, target, pass/fail. Extra flags go to the rss bench (e.g. --minutes 10).
#   --compare REV   also run each bench in a built checkout of REV (../shared/tools/bench-at) right
#                   before the current tree's run, and print both columns side by side
#   --only PATTERN  run only the benches whose command line contains PATTERN (e.g. getflows-server)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[[ $EUID -eq 0 ]] || { echo "run-all: must run as root (network namespaces, eBPF): sudo bash bench/run-all.sh" >&2; exit 1; }
[[ -f services/collector/dist/collector.js && -f bpf/.output/flowlens.bpf.o ]] || { echo "run-all: not built; run: sudo bash scripts/setup.sh" >&2; exit 1; }

compare=""
only=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --compare) compare=${2:?--compare needs a revision, e.g. --compare HEAD~1}; shift 2 ;;
    --only) only=${2:?--only needs a pattern, e.g. --only getflows-server}; shift 2 ;;
    *) break ;;
  esac
done
bench_at="$root/../shared/tools/bench-at"
if [[ -n $compare ]]; then
  [[ -x $bench_at ]] || { echo "run-all: --compare needs $bench_at (the shared bench-at tool)" >&2; exit 1; }
  git rev-parse -q --verify "$compare^{commit}" >/dev/null || { echo "run-all: unknown revision '$compare'" >&2; exit 1; }
fi

vn="node_modules/.bin/vite-node"
benches=(
  "node bench/decode.mjs"
  "node bench/decode.mjs --mix tcp"
  "$vn bench/records-per-packet.ts"
  "$vn bench/throughput.ts"
  "$vn bench/getflows.ts"
  "node bench/getflows-server.mjs"
  "$vn bench/cpu-bounds.ts"
  "$vn bench/follow-latency.ts"
  "$vn bench/policy-throughput.ts"
  "$vn bench/policy-l7.ts"
  "$vn bench/policy-apply.ts"
  "$vn bench/rss.ts -- $*"
)
results=()
before=()
failed=0
# RESULT lines of one run ("metric|measured|target|pass"), or an error row naming the bench.
run_one() {
  local out lines
  out=$(eval "$1" 2>&1 | tee /dev/stderr)
  lines=$(grep '^RESULT ' <<<"$out" | sed 's/^RESULT //')
  if [[ -z $lines ]]; then echo "${2}|error (see output above)|-|FAIL"; else echo "$lines"; fi
}
for b in "${benches[@]}"; do
  [[ -z $only || $b == *"$only"* ]] || continue
  label=${b/#$vn/vite-node}
  if [[ -n $compare ]]; then
    echo "== $compare: $label"
    # bench-at runs from the other checkout's root: vite-node relative to it.
    while IFS= read -r l; do before+=("$l"); done < <(run_one "$bench_at $compare -- $b" "$label")
  fi
  echo "== ${compare:+current: }$label"
  while IFS= read -r l; do results+=("$l"); [[ $l == *"|FAIL" ]] && failed=1; done < <(run_one "$b" "$label")
done

echo
if [[ -n $compare ]]; then
  printf '%-46s %-16s %-16s %-14s %s\n' metric "$compare" current target result
  for r in "${results[@]}"; do
    IFS='|' read -r metric measured target pass <<<"$r"
    was="-"
    for o in "${before[@]}"; do [[ ${o%%|*} == "$metric" ]] && { IFS='|' read -r _ was _ _ <<<"$o"; break; }; done
    printf '%-46s %-16s %-16s %-14s %s\n' "$metric" "$was" "$measured" "$target" "$pass"
  done
else
  printf '%-46s %-16s %-14s %s\n' metric measured target result
  for r in "${results[@]}"; do
    IFS='|' read -r metric measured target pass <<<"$r"
    printf '%-46s %-16s %-14s %s\n' "$metric" "$measured" "$target" "$pass"
  done
fi
exit $failed
