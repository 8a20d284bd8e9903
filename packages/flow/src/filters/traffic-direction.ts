// traffic_direction filter: the flow's direction (INGRESS/EGRESS) is one of the listed values.
import type { FilterBuilder } from "./types.js";

export const trafficDirectionFilter: FilterBuilder = {
  name: "traffic_direction",
  fields: ["trafficDirection"],
  build(ff) {
    if (ff.trafficDirection.length === 0) return [];
    const wanted = new Set(ff.trafficDirection);
    return [(flow) => wanted.has(flow.trafficDirection)];
  },
};
