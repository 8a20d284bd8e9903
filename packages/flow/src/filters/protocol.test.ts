// Table test for the protocol filter.
import { protocolCases } from "./protocol.cases.js";
import { describeFilterCases } from "./testkit.js";

describeFilterCases(protocolCases);
