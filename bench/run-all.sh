#!/usr/bin/env bash
# Runs every benchmark in sequence (as root, after bash scripts/setup.sh) and prints a summary table:
# metric, measured, target, pass/fail. Extra flags go to the rss bench (e.g. --minutes 10).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[[ $EUID -eq 0 ]] || { echo "run-all: must run as root (network namespaces, eBPF): sudo bash bench/run-all.sh" >&2; exit 1; }
[[ -f services/collector/dist/collector.js && -f bpf/.output/flowlens.bpf.o ]] || { echo "run-all: not built; run: sudo bash scripts/setup.sh" >&2; exit 1; }

vn="$root/node_modules/.bin/vite-node"
benches=(
  "node bench/decode.mjs"
  "node bench/decode.mjs --mix tcp"
  "$vn bench/records-per-packet.ts"
  "$vn bench/throughput.ts"
  "$vn bench/getflows.ts"
  "node bench/getflows-server.mjs"
  "$vn bench/policy-throughput.ts"
  "$vn bench/policy-l7.ts"
  "$vn bench/policy-apply.ts"
  "$vn bench/rss.ts -- $*"
)
results=()
failed=0
for b in "${benches[@]}"; do
  echo "== ${b/#$vn/vite-node}"
  out=$(eval "$b" 2>&1 | tee /dev/stderr)
  lines=$(grep '^RESULT ' <<<"$out" | sed 's/^RESULT //')
  if [[ -z $lines ]]; then
    results+=("${b/#$vn/vite-node}|error (see output above)|-|FAIL")
    failed=1
  else
    while IFS= read -r l; do results+=("$l"); [[ $l == *"|FAIL" ]] && failed=1; done <<<"$lines"
  fi
done

echo
printf '%-46s %-16s %-14s %s\n' metric measured target result
for r in "${results[@]}"; do
  IFS='|' read -r metric measured target pass <<<"$r"
  printf '%-46s %-16s %-14s %s\n' "$metric" "$measured" "$target" "$pass"
done
exit $failed
