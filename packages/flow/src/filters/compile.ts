// Hubble filter semantics: fields in one FlowFilter AND, values of a field OR, whitelist OR, minus any blacklist match.
import type { Flow, FlowFilter } from "@flowlens/proto";
import { filterBuilders } from "./registry.js";
import { FilterError, type FilterField, type FlowPredicate } from "./types.js";

const handled = new Set<string>(filterBuilders.flatMap((b) => b.fields));

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Rejects fields no builder understands, so a filter is never silently ignored. */
function checkSupported(ff: FlowFilter): void {
  for (const [key, value] of Object.entries(ff)) {
    if (key.startsWith("$") || handled.has(key)) continue;
    if (key === "experimental") {
      const cel = (value as FlowFilter["experimental"])?.celExpression ?? [];
      if (cel.length) throw new FilterError("experimental.cel_expression", cel[0] ?? "", "CEL filters are not supported by Flowlens");
      continue;
    }
    if (Array.isArray(value) && value.length > 0) {
      throw new FilterError(snake(key), String(value[0]), "this filter is not supported by Flowlens");
    }
  }
}

/** Compiles one FlowFilter into a predicate that is true when every set field matches. */
export function compileFilter(ff: FlowFilter): FlowPredicate {
  checkSupported(ff);
  const preds = filterBuilders.flatMap((b) => b.build(ff));
  if (preds.length === 0) return () => true;
  return (flow) => preds.every((p) => p(flow));
}

/** Compiles a whitelist/blacklist pair; throws FilterError for a bad filter (at build time, never per flow). */
export function compileFilters(whitelist: readonly FlowFilter[], blacklist: readonly FlowFilter[]): (flow: Flow) => boolean {
  const allow = whitelist.map(compileFilter);
  const deny = blacklist.map(compileFilter);
  return (flow) => (allow.length === 0 || allow.some((p) => p(flow))) && !deny.some((p) => p(flow));
}

export type { FilterField };
