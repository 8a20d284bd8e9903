// The API's own metrics: requests by route and code, latency per route, ClickHouse query time by kind.
import { createDaemonRegistry } from "@flowlens/runtime";
import { Counter, Histogram, type Registry } from "prom-client";

export interface ApiMetrics {
  registry: Registry;
  requests: Counter<"route" | "code">;
  latency: Histogram<"route">;
  clickhouse: Histogram<"query">;
}

export function createApiMetrics(registry: Registry = createDaemonRegistry("flowlens_api_")): ApiMetrics {
  const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
  return {
    registry,
    requests: new Counter({
      name: "flowlens_api_requests_total",
      help: "HTTP requests by route and status code",
      labelNames: ["route", "code"],
      registers: [registry],
    }),
    latency: new Histogram({
      name: "flowlens_api_request_duration_seconds",
      help: "HTTP request latency by route",
      labelNames: ["route"],
      buckets,
      registers: [registry],
    }),
    clickhouse: new Histogram({
      name: "flowlens_api_clickhouse_query_seconds",
      help: "ClickHouse query time by kind (flows, sql, status)",
      labelNames: ["query"],
      buckets,
      registers: [registry],
    }),
  };
}
