// Group-by dimensions of the aggregation routes: each is a rollup key column, read from the raw table
// through the same connection orientation the rollups use (a reply counts for the connection it answers).
import { ORIENTED, ROLLUPS } from "@flowlens/clickhouse";

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

/** The dimension as SQL over `table` (a rollup's own column, or the oriented expression over raw flows). */
export function dimensionSql(d: Dimension, table: string): string {
  return table === "flows" && ORIENTED[d] !== d ? ORIENTED[d] : d;
}
