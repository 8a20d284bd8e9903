// Table test for the node-name filter.
import { nodeNameCases } from "./node-name.cases.js";
import { describeFilterCases } from "./testkit.js";

describeFilterCases(nodeNameCases);
