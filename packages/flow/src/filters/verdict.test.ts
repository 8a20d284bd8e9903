// Table tests for the verdict and drop reason filters.

import { describeFilterCases } from "./testkit.js";
import { dropReasonCases, verdictCases } from "./verdict.cases.js";

describeFilterCases(verdictCases);
describeFilterCases(dropReasonCases);
