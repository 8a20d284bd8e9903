// Table cases for the event type filter.
import { eventTypeFilter } from "./event-type.js";
import type { FilterCaseTable } from "./types.js";

const trace = { eventType: { type: 4, subType: 0 } };
const drop = { eventType: { type: 1, subType: 133 } };

export const eventTypeCases: FilterCaseTable = {
  builder: eventTypeFilter,
  cases: [
    { name: "type trace", filter: { eventType: [{ type: 4 }] }, flow: trace, match: true },
    {
      name: "sub-type 0 counts when asked",
      filter: { eventType: [{ type: 4, matchSubType: true, subType: 0 }] },
      flow: trace,
      match: true,
    },
    { name: "wrong sub-type", filter: { eventType: [{ type: 1, matchSubType: true, subType: 181 }] }, flow: drop, match: false },
    { name: "sub-type ignored unless asked", filter: { eventType: [{ type: 1, subType: 181 }] }, flow: drop, match: true },
    { name: "ORed", filter: { eventType: [{ type: 129 }, { type: 1 }] }, flow: drop, match: true },
    { name: "no event type on flow", filter: { eventType: [{ type: 4 }] }, flow: {}, match: false },
  ],
  invalid: [],
};
