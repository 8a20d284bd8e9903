// ip_version filter: the flow's IP version is one of the listed IPVersion values.
import type { FilterBuilder } from "./types.js";

export const ipVersionFilter: FilterBuilder = {
  name: "ip_version",
  fields: ["ipVersion"],
  build(ff) {
    if (ff.ipVersion.length === 0) return [];
    const wanted = new Set(ff.ipVersion);
    return [(flow) => flow.IP !== undefined && wanted.has(flow.IP.ipVersion)];
  },
};
