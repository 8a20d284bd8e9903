#!/usr/bin/env bash
# Runs the API's aggregation SQL on current ClickHouse via chdb (PyPI), in the venv infra/clickhouse/modern uses.
# Usage: services/api/modern/run.sh   (needs the built packages: npx turbo run build --filter=@flowlens/api)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${FLOWLENS_CHDB_VENV:-$here/../../../.cache/chdb-venv}"
if [[ ! -x $venv/bin/python ]] || ! "$venv/bin/python" -c "import chdb" 2>/dev/null; then
  python3 -m venv "$venv" || { echo "modern-check: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
  "$venv/bin/pip" install -q chdb || { echo "modern-check: pip install chdb failed; check access to PyPI" >&2; exit 1; }
fi
cd "$here"
node dump.mjs | "$venv/bin/python" check.py
