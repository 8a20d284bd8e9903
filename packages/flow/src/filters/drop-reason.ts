// drop_reason_desc filter: the flow's drop reason is one of the listed DropReason values.
import { DropReason } from "@flowlens/proto";
import { type FilterBuilder, FilterError } from "./types.js";

export const dropReasonFilter: FilterBuilder = {
  name: "drop_reason",
  fields: ["dropReasonDesc"],
  build(ff) {
    if (ff.dropReasonDesc.length === 0) return [];
    for (const r of ff.dropReasonDesc) {
      if (DropReason[r] === undefined) throw new FilterError("drop_reason_desc", String(r), "unknown drop reason");
    }
    const wanted = new Set(ff.dropReasonDesc);
    return [(flow) => wanted.has(flow.dropReasonDesc)];
  },
};
