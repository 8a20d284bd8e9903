// Table cases for the node name filter.
import { nodeNameFilter } from "./node-name.js";
import type { FilterCaseTable } from "./types.js";

export const nodeNameCases: FilterCaseTable = {
  builder: nodeNameFilter,
  cases: [
    { name: "exact", filter: { nodeName: ["node-a"] }, flow: { nodeName: "node-a" }, match: true },
    { name: "glob", filter: { nodeName: ["node*"] }, flow: { nodeName: "node-b" }, match: true },
    { name: "glob miss", filter: { nodeName: ["worker*"] }, flow: { nodeName: "node-b" }, match: false },
    { name: "default cluster", filter: { nodeName: ["default/node-a"] }, flow: { nodeName: "node-a" }, match: true },
    { name: "cluster only", filter: { nodeName: ["prod/"] }, flow: { nodeName: "prod/node-a" }, match: true },
    { name: "other cluster", filter: { nodeName: ["prod/"] }, flow: { nodeName: "node-a" }, match: false },
    { name: "domain glob", filter: { nodeName: ["*.example.com"] }, flow: { nodeName: "n1.example.com" }, match: true },
    { name: "empty node name", filter: { nodeName: ["*"] }, flow: {}, match: false },
  ],
  invalid: [
    { name: "too many slashes", filter: { nodeName: ["a/b/c"] }, error: "node_name" },
    { name: "bad character", filter: { nodeName: ["node?"] }, error: "node_name" },
  ],
};
