// Table tests for the HTTP and FQDN/DNS filters.
import { fqdnCases, httpCases } from "./http.cases.js";
import { describeFilterCases } from "./testkit.js";

describeFilterCases(httpCases);
describeFilterCases(fqdnCases);
