// Table test for the uuid filter.

import { describeFilterCases } from "./testkit.js";
import { uuidCases } from "./uuid.cases.js";

describeFilterCases(uuidCases);
