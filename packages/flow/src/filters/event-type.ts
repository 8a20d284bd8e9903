// event_type filter: Cilium monitor message type (1 drop, 4 trace, 5 policy verdict, 129 L7, …) and optional sub-type.
import type { FilterBuilder } from "./types.js";

/** Cilium monitor message types, as Hubble's event type filter numbers them. */
export const MessageType = {
  DROP: 1,
  DEBUG: 2,
  CAPTURE: 3,
  TRACE: 4,
  POLICY_VERDICT: 5,
  RECORDER: 6,
  TRACE_SOCK: 7,
  ACCESS_LOG: 129,
  AGENT: 130,
} as const;

export const eventTypeFilter: FilterBuilder = {
  name: "event_type",
  fields: ["eventType"],
  build(ff) {
    if (ff.eventType.length === 0) return [];
    const types = ff.eventType.map((t) => ({ type: t.type, matchSubType: t.matchSubType, subType: t.subType }));
    return [
      (flow) => {
        const ev = flow.eventType;
        if (!ev) return false;
        // type 0 means "any type"; sub_type is compared only when asked, since 0 is a valid sub-type.
        return types.some((t) => (t.type === 0 || t.type === ev.type) && (!t.matchSubType || t.subType === ev.subType));
      },
    ];
  },
};
