// Table tests for the pod and service filters.
import { podCases, serviceCases } from "./pod.cases.js";
import { describeFilterCases } from "./testkit.js";

describeFilterCases(podCases);
describeFilterCases(serviceCases);
