// verdict filter: the flow's verdict is one of the listed verdicts.
import { Verdict } from "@flowlens/proto";
import { type FilterBuilder, FilterError } from "./types.js";

export const verdictFilter: FilterBuilder = {
  name: "verdict",
  fields: ["verdict"],
  build(ff) {
    if (ff.verdict.length === 0) return [];
    for (const v of ff.verdict) {
      if (Verdict[v] === undefined) throw new FilterError("verdict", String(v), "unknown verdict");
    }
    const wanted = new Set(ff.verdict);
    return [(flow) => wanted.has(flow.verdict)];
  },
};
