// Table test for the event-type filter.
import { eventTypeCases } from "./event-type.cases.js";
import { describeFilterCases } from "./testkit.js";

describeFilterCases(eventTypeCases);
