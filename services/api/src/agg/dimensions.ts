// Group-by dimensions and metrics of the aggregation routes: each dimension is a rollup key column; raw
// flows get the same columns, oriented by connection, in agg-sql.ts.
import { ROLLUPS } from "@flowlens/clickhouse";

export const DIMENSIONS = [
  "source_namespace",
  "source_workload",
  "source_pod",
  "destination_namespace",
  "destination_workload",
  "destination_pod",
  "destination_port",
  "protocol",
  "verdict",
  "drop_reason",
  "traffic_direction",
] as const;

export type Dimension = (typeof DIMENSIONS)[number];

export const METRICS = ["flows", "connections", "packets", "bytes", "drops"] as const;
export type Metric = (typeof METRICS)[number];

/** The tables that hold a dimension: raw flows always, a rollup when it is one of its keys. */
export function tablesWithDimension(d: Dimension): string[] {
  return ["flows", ...ROLLUPS.filter((r) => r.keys.includes(d)).map((r) => r.table)];
}
