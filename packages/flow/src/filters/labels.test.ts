// Table test for the labels filter.
import { labelsCases } from "./labels.cases.js";
import { describeFilterCases } from "./testkit.js";

describeFilterCases(labelsCases);
