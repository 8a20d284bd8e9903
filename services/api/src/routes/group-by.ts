// The group_by parameter of /http: up to 3 distinct dimensions out of a route's fixed set.
import { ApiError } from "../errors.js";

export const MAX_GROUP_BY = 3;

/** "workload,code" → ["workload", "code"]; a 400 naming the problem for an unknown, repeated or 4th dimension. */
export function parseGroupBy<D extends string>(text: string | undefined, allowed: readonly D[], dflt: readonly D[]): D[] {
  if (text === undefined || text.trim() === "") return [...dflt];
  const dims = text.split(",").map((s) => s.trim());
  if (dims.length > MAX_GROUP_BY) throw new ApiError("bad_request", `group_by: at most ${MAX_GROUP_BY} dimensions, got ${dims.length}`);
  const out: D[] = [];
  for (const d of dims) {
    if (!(allowed as readonly string[]).includes(d))
      throw new ApiError("bad_request", `group_by: unknown dimension ${JSON.stringify(d)} (one of ${allowed.join(", ")})`);
    if (out.includes(d as D)) throw new ApiError("bad_request", `group_by: ${d} given twice`);
    out.push(d as D);
  }
  return out;
}
