// Table cases for label selector filters.
import { labelsFilter } from "./labels.js";
import type { FilterCaseTable } from "./types.js";

const flow = {
  source: { labels: ["k8s:app=frontend", "k8s:tier=web", "k8s:io.kubernetes.pod.namespace=default"] },
  destination: { labels: ["k8s:app=backend", "version=2", "reserved:host"] },
  nodeLabels: ["kubernetes.io/hostname=node-a"],
};

export const labelsCases: FilterCaseTable = {
  builder: labelsFilter,
  cases: [
    { name: "k=v any source", filter: { sourceLabel: ["app=frontend"] }, flow, match: true },
    { name: "k=v with source prefix", filter: { sourceLabel: ["k8s:app=frontend"] }, flow, match: true },
    { name: "wrong source prefix", filter: { sourceLabel: ["container:app=frontend"] }, flow, match: false },
    { name: "any: prefix", filter: { sourceLabel: ["any:app=frontend"] }, flow, match: true },
    { name: "k==v", filter: { sourceLabel: ["tier==web"] }, flow, match: true },
    { name: "k!=v holds", filter: { sourceLabel: ["app!=backend"] }, flow, match: true },
    { name: "k!=v fails", filter: { sourceLabel: ["app!=frontend"] }, flow, match: false },
    { name: "k!=v on missing key", filter: { sourceLabel: ["missing!=x"] }, flow, match: true },
    { name: "in set", filter: { destinationLabel: ["app in (db, backend)"] }, flow, match: true },
    { name: "notin set", filter: { destinationLabel: ["app notin (db,backend)"] }, flow, match: false },
    { name: "exists", filter: { destinationLabel: ["version"] }, flow, match: true },
    { name: "not exists", filter: { destinationLabel: ["!version"] }, flow, match: false },
    { name: "reserved label", filter: { destinationLabel: ["reserved:host"] }, flow, match: true },
    { name: "requirements ANDed", filter: { sourceLabel: ["app=frontend,tier=db"] }, flow, match: false },
    { name: "selectors ORed", filter: { sourceLabel: ["app=nope", "tier in (web)"] }, flow, match: true },
    { name: "greater than", filter: { destinationLabel: ["version>1"] }, flow, match: true },
    { name: "dotted key with source", filter: { sourceLabel: ["k8s:io.kubernetes.pod.namespace=default"] }, flow, match: true },
    { name: "node labels", filter: { nodeLabels: ["kubernetes.io/hostname=node-a"] }, flow, match: true },
    { name: "no labels", filter: { sourceLabel: ["app"] }, flow: {}, match: false },
  ],
  invalid: [
    { name: "unterminated set", filter: { sourceLabel: ["app in (a,b"] }, error: "source_label" },
    { name: "bad key", filter: { destinationLabel: ["-app=x"] }, error: "destination_label" },
    { name: "bad value", filter: { sourceLabel: ["app=a b"] }, error: "source_label" },
    { name: "missing comma", filter: { sourceLabel: ["app=a tier=b"] }, error: "source_label" },
  ],
};
