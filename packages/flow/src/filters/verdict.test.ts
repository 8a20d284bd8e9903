// Table tests for the verdict and drop reason filters.
import { dropReasonCases, verdictCases } from "./verdict.cases.js";
import { describeFilterCases } from "./testkit.js";

describeFilterCases(verdictCases);
describeFilterCases(dropReasonCases);
