// Table cases for the pod and service name filters.
import { podFilter, serviceFilter } from "./pod.js";
import type { FilterCaseTable } from "./types.js";

const flow = {
  source: { namespace: "default", podName: "frontend-7d9f" },
  destination: { namespace: "kube-system", podName: "coredns-abc" },
  destinationService: { namespace: "kube-system", name: "kube-dns" },
};

export const podCases: FilterCaseTable = {
  builder: podFilter,
  cases: [
    { name: "namespace/prefix", filter: { sourcePod: ["default/frontend-"] }, flow, match: true },
    { name: "namespace only", filter: { destinationPod: ["kube-system/"] }, flow, match: true },
    { name: "wrong namespace", filter: { sourcePod: ["prod/frontend"] }, flow, match: false },
    { name: "bare prefix means empty namespace", filter: { sourcePod: ["frontend"] }, flow, match: false },
    {
      name: "bare prefix matches a pod without namespace",
      filter: { sourcePod: ["web"] },
      flow: { source: { podName: "web-1" } },
      match: true,
    },
    { name: "values ORed", filter: { sourcePod: ["x/y", "default/"] }, flow, match: true },
    { name: "no endpoint", filter: { sourcePod: ["default/"] }, flow: {}, match: false },
  ],
  invalid: [
    { name: "empty", filter: { sourcePod: [""] }, error: "source_pod" },
    { name: "two slashes", filter: { destinationPod: ["a/b/c"] }, error: "destination_pod" },
  ],
};

export const serviceCases: FilterCaseTable = {
  builder: serviceFilter,
  cases: [
    { name: "service prefix", filter: { destinationService: ["kube-system/kube-"] }, flow, match: true },
    { name: "no source service", filter: { sourceService: ["default/"] }, flow, match: false },
  ],
  invalid: [{ name: "empty", filter: { sourceService: ["/"] }, error: "source_service" }],
};
