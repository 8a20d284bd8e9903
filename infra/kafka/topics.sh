#!/usr/bin/env bash
# Creates the Flowlens Kafka topics (flowlens.flows, flowlens.flows.dlq) idempotently; see topics.json.
# Usage: topics.sh [BROKERS]   (default $KAFKA_BROKERS or 127.0.0.1:${KAFKA_PORT:-9092})
set -euo pipefail
exec node "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/topics.mjs" "$@"
