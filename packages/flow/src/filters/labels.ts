// source_label / destination_label / node_labels filters: any listed label selector selects the labels.

import type { Flow } from "@flowlens/proto";
import { parseLabel, parseLabelSelector, selectorMatches } from "./label-selector.js";
import { type FilterBuilder, FilterError, type FlowPredicate } from "./types.js";

function labelMatcher(field: string, selectors: string[], get: (flow: Flow) => string[] | undefined): FlowPredicate {
  const parsed = selectors.map((s) => {
    try {
      return parseLabelSelector(s);
    } catch (err) {
      throw new FilterError(field, s, (err as Error).message, { cause: err });
    }
  });
  return (flow) => {
    const labels = (get(flow) ?? []).map(parseLabel);
    return parsed.some((reqs) => selectorMatches(reqs, labels));
  };
}

export const labelsFilter: FilterBuilder = {
  name: "labels",
  fields: ["sourceLabel", "destinationLabel", "nodeLabels"],
  build(ff) {
    const out: FlowPredicate[] = [];
    if (ff.sourceLabel.length) out.push(labelMatcher("source_label", ff.sourceLabel, (f) => f.source?.labels));
    if (ff.destinationLabel.length) {
      out.push(labelMatcher("destination_label", ff.destinationLabel, (f) => f.destination?.labels));
    }
    if (ff.nodeLabels.length) out.push(labelMatcher("node_labels", ff.nodeLabels, (f) => f.nodeLabels));
    return out;
  },
};
