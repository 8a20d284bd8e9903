// interface filter: the flow's network interface matches a listed one by index and/or name (unset parts match any).
import type { FilterBuilder } from "./types.js";

export const interfaceFilter: FilterBuilder = {
  name: "interface",
  fields: ["interface"],
  build(ff) {
    if (ff.interface.length === 0) return [];
    const wanted = ff.interface.map((i) => ({ index: i.index, name: i.name }));
    return [
      (flow) => {
        const itf = flow.interface;
        if (!itf) return false;
        return wanted.some((w) => (w.index === 0 || w.index === itf.index) && (w.name === "" || w.name === itf.name));
      },
    ];
  },
};
