// trace_id filter: the flow's trace context parent trace id is listed.
import type { FilterBuilder } from "./types.js";

export const traceIdFilter: FilterBuilder = {
  name: "trace_id",
  fields: ["traceId"],
  build(ff) {
    if (ff.traceId.length === 0) return [];
    const wanted = new Set(ff.traceId);
    return [(flow) => wanted.has(flow.traceContext?.parent?.traceId ?? "")];
  },
};
