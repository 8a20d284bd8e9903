// Table test for the port filter.
import { portCases } from "./port.cases.js";
import { describeFilterCases } from "./testkit.js";

describeFilterCases(portCases);
