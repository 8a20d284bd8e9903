// source_identity / destination_identity filters: the endpoint's numeric security identity is listed.
import type { FilterBuilder, FlowPredicate } from "./types.js";

export const identityFilter: FilterBuilder = {
  name: "identity",
  fields: ["sourceIdentity", "destinationIdentity"],
  build(ff) {
    const out: FlowPredicate[] = [];
    if (ff.sourceIdentity.length) {
      const s = new Set(ff.sourceIdentity);
      out.push((flow) => flow.source !== undefined && s.has(flow.source.identity));
    }
    if (ff.destinationIdentity.length) {
      const d = new Set(ff.destinationIdentity);
      out.push((flow) => flow.destination !== undefined && d.has(flow.destination.identity));
    }
    return out;
  },
};
