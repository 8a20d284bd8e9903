// source_cluster_name / destination_cluster_name filters: exact cluster name of the endpoint.
import type { FilterBuilder, FlowPredicate } from "./types.js";

export const clusterNameFilter: FilterBuilder = {
  name: "cluster_name",
  fields: ["sourceClusterName", "destinationClusterName"],
  build(ff) {
    const out: FlowPredicate[] = [];
    if (ff.sourceClusterName.length) {
      const s = new Set(ff.sourceClusterName);
      out.push((flow) => s.has(flow.source?.clusterName ?? ""));
    }
    if (ff.destinationClusterName.length) {
      const d = new Set(ff.destinationClusterName);
      out.push((flow) => d.has(flow.destination?.clusterName ?? ""));
    }
    return out;
  },
};
