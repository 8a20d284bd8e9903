// node_name filter: glob patterns "node*", "cluster/node", "cluster/"; names without a cluster are in cluster "default".
import { anyOf, nodeNamePatternSource } from "./patterns.js";
import type { FilterBuilder } from "./types.js";

export const DEFAULT_CLUSTER_NAME = "default";

export const nodeNameFilter: FilterBuilder = {
  name: "node_name",
  fields: ["nodeName"],
  build(ff) {
    if (ff.nodeName.length === 0) return [];
    const re = anyOf("node_name", ff.nodeName, nodeNamePatternSource);
    return [
      (flow) => {
        if (flow.nodeName === "") return false;
        const name = flow.nodeName.includes("/") ? flow.nodeName : `${DEFAULT_CLUSTER_NAME}/${flow.nodeName}`;
        return re.test(name);
      },
    ];
  },
};
