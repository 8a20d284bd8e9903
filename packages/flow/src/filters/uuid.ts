// uuid filter: the flow's uuid equals one of the listed values.
import type { FilterBuilder } from "./types.js";

export const uuidFilter: FilterBuilder = {
  name: "uuid",
  fields: ["uuid"],
  build(ff) {
    if (ff.uuid.length === 0) return [];
    const wanted = new Set(ff.uuid);
    return [(flow) => wanted.has(flow.uuid)];
  },
};
