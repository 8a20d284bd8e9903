// source_workload / destination_workload filters: an endpoint workload matches by name and/or kind (empty matches any).
import type { Endpoint, Workload } from "@flowlens/proto";
import type { FilterBuilder, FlowPredicate } from "./types.js";

function workloadMatcher(wanted: Workload[], get: (ep?: Endpoint) => Workload[]) {
  const ws = wanted.map((w) => ({ name: w.name, kind: w.kind }));
  return (ep?: Endpoint) =>
    get(ep).some((fw) => ws.some((w) => (w.name === "" || w.name === fw.name) && (w.kind === "" || w.kind === fw.kind)));
}

export const workloadFilter: FilterBuilder = {
  name: "workload",
  fields: ["sourceWorkload", "destinationWorkload"],
  build(ff) {
    const out: FlowPredicate[] = [];
    if (ff.sourceWorkload.length) {
      const m = workloadMatcher(ff.sourceWorkload, (ep) => ep?.workloads ?? []);
      out.push((flow) => m(flow.source));
    }
    if (ff.destinationWorkload.length) {
      const m = workloadMatcher(ff.destinationWorkload, (ep) => ep?.workloads ?? []);
      out.push((flow) => m(flow.destination));
    }
    return out;
  },
};
