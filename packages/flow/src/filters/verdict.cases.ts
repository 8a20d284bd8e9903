// Table cases for the verdict and drop reason filters.
import { DropReason, Verdict } from "@flowlens/proto";
import { dropReasonFilter } from "./drop-reason.js";
import type { FilterCaseTable } from "./types.js";
import { verdictFilter } from "./verdict.js";

export const verdictCases: FilterCaseTable = {
  builder: verdictFilter,
  cases: [
    { name: "dropped", filter: { verdict: [Verdict.DROPPED] }, flow: { verdict: Verdict.DROPPED }, match: true },
    { name: "ORed", filter: { verdict: [Verdict.AUDIT, Verdict.FORWARDED] }, flow: { verdict: Verdict.FORWARDED }, match: true },
    { name: "other", filter: { verdict: [Verdict.DROPPED] }, flow: { verdict: Verdict.FORWARDED }, match: false },
  ],
  invalid: [{ name: "unknown number", filter: { verdict: [99 as Verdict] }, error: "verdict" }],
};

export const dropReasonCases: FilterCaseTable = {
  builder: dropReasonFilter,
  cases: [
    {
      name: "policy denied",
      filter: { dropReasonDesc: [DropReason.POLICY_DENIED] },
      flow: { verdict: Verdict.DROPPED, dropReasonDesc: DropReason.POLICY_DENIED },
      match: true,
    },
    {
      name: "deny vs denied",
      filter: { dropReasonDesc: [DropReason.POLICY_DENY] },
      flow: { dropReasonDesc: DropReason.POLICY_DENIED },
      match: false,
    },
  ],
  invalid: [{ name: "unknown number", filter: { dropReasonDesc: [1 as DropReason] }, error: "drop_reason_desc" }],
};
