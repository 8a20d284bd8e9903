#!/usr/bin/env bash
# Demo pods from infra/demo/pods.yaml: `pods.sh up` creates them (netns + veth + bridge, endpoints file in
# /run/flowlens-<prefix>/), `pods.sh down` removes them, `pods.sh status` lists what exists.
# The work is done by test/harness (the same code the tests use), run through vite-node.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $EUID -ne 0 ]]; then echo "pods.sh: network namespaces need root; run: sudo bash scripts/pods.sh $*" >&2; exit 1; fi
vite_node="$root/node_modules/.bin/vite-node"
if [[ ! -x $vite_node ]]; then echo "pods.sh: $vite_node missing; run: sudo bash scripts/setup.sh" >&2; exit 1; fi
cd "$root/test"
exec "$vite_node" "$root/test/harness/pods-cli.ts" "$@"
