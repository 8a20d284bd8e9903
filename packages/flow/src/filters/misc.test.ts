// Table tests for the small enum/number filters.
import * as misc from "./misc.cases.js";
import { describeFilterCases } from "./testkit.js";

for (const table of Object.values(misc)) describeFilterCases(table);
