// Table test for the tcp-flags filter.
import { tcpFlagsCases } from "./tcp-flags.cases.js";
import { describeFilterCases } from "./testkit.js";

describeFilterCases(tcpFlagsCases);
