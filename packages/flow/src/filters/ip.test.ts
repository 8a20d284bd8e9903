// Table test for the ip filter.
import { ipCases } from "./ip.cases.js";
import { describeFilterCases } from "./testkit.js";

describeFilterCases(ipCases);
