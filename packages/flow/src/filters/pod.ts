// source_pod / destination_pod and source_service / destination_service: "[namespace/][name-prefix]".
import type { Flow } from "@flowlens/proto";
import { type FilterBuilder, FilterError, type FlowPredicate } from "./types.js";

interface NameFilter {
  namespace: string;
  prefix: string;
}

/** Hubble's reading: "ns/" = whole namespace, "ns/pre" = prefix in ns, "pre" = prefix with empty namespace. */
export function parseNamespacedName(field: string, value: string): NameFilter {
  const parts = value.split("/");
  if (parts.length > 2) throw new FilterError(field, value, "must be [namespace/][name]");
  const [first = "", second] = parts;
  const nf = second === undefined ? { namespace: "", prefix: first } : { namespace: first, prefix: second };
  if (nf.namespace === "" && nf.prefix === "") throw new FilterError(field, value, "must be [namespace/][name]");
  return nf;
}

function nameMatcher(
  field: string,
  values: string[],
  get: (flow: Flow) => { namespace?: string; name?: string } | undefined,
): FlowPredicate {
  const filters = values.map((v) => parseNamespacedName(field, v));
  return (flow) => {
    const ep = get(flow);
    const ns = ep?.namespace ?? "";
    const name = ep?.name ?? "";
    if (ns === "" && name === "") return false;
    return filters.some((f) => f.namespace === ns && (f.prefix === "" || name.startsWith(f.prefix)));
  };
}

export const podFilter: FilterBuilder = {
  name: "pod",
  fields: ["sourcePod", "destinationPod"],
  build(ff) {
    const out: FlowPredicate[] = [];
    if (ff.sourcePod.length) {
      out.push(nameMatcher("source_pod", ff.sourcePod, (f) => ({ namespace: f.source?.namespace, name: f.source?.podName })));
    }
    if (ff.destinationPod.length) {
      out.push(
        nameMatcher("destination_pod", ff.destinationPod, (f) => ({
          namespace: f.destination?.namespace,
          name: f.destination?.podName,
        })),
      );
    }
    return out;
  },
};

export const serviceFilter: FilterBuilder = {
  name: "service",
  fields: ["sourceService", "destinationService"],
  build(ff) {
    const out: FlowPredicate[] = [];
    if (ff.sourceService.length) out.push(nameMatcher("source_service", ff.sourceService, (f) => f.sourceService));
    if (ff.destinationService.length) {
      out.push(nameMatcher("destination_service", ff.destinationService, (f) => f.destinationService));
    }
    return out;
  },
};
