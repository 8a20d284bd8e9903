// source_port / destination_port filters: the flow's TCP/UDP/SCTP port equals one of the listed ports.
import type { Flow } from "@flowlens/proto";
import { destinationPort, sourcePort } from "./flow-fields.js";
import { type FilterBuilder, FilterError, type FlowPredicate } from "./types.js";

function portMatcher(field: string, values: string[], get: (flow: Flow) => number | undefined): FlowPredicate {
  const ports = new Set(
    values.map((v) => {
      const n = Number(v.trim());
      if (!/^\d+$/.test(v.trim()) || n > 65535) throw new FilterError(field, v, "not a port number (0-65535)");
      return n;
    }),
  );
  return (flow) => {
    const p = get(flow);
    return p !== undefined && ports.has(p);
  };
}

export const portFilter: FilterBuilder = {
  name: "port",
  fields: ["sourcePort", "destinationPort"],
  build(ff) {
    const out: FlowPredicate[] = [];
    if (ff.sourcePort.length) out.push(portMatcher("source_port", ff.sourcePort, sourcePort));
    if (ff.destinationPort.length) out.push(portMatcher("destination_port", ff.destinationPort, destinationPort));
    return out;
  },
};
