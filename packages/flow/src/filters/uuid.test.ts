// Table test for the uuid filter.
import { uuidCases } from "./uuid.cases.js";
import { describeFilterCases } from "./testkit.js";

describeFilterCases(uuidCases);
