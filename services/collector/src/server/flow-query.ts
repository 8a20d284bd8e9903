// A GetFlows request as a query over the live ring: filters compiled (a bad one fails here, before
// any flow is read), times turned into CLOCK_MONOTONIC ns.
import { compileFilters } from "@flowlens/flow";
import { type GetFlowsRequest, wantsFlowExtensions } from "@flowlens/proto";
import { timestampToWallNs, wallNsToMono } from "../clock/monotonic.js";
import type { FlowQuery } from "../flows/stream.js";

export function toQuery(req: GetFlowsRequest): FlowQuery {
  // Compiled even when empty-handed, so a bad filter fails here; skipped on the hot path when none.
  const compiled = compileFilters(req.whitelist, req.blacklist);
  const match = req.whitelist.length || req.blacklist.length ? compiled : undefined;
  const q: FlowQuery = {
    number: Number(req.number),
    first: req.first,
    follow: req.follow,
    match,
    withExtensions: wantsFlowExtensions(req.extensions),
  };
  if (req.since) q.sinceNs = wallNsToMono(timestampToWallNs(req.since));
  if (req.until) q.untilNs = wallNsToMono(timestampToWallNs(req.until));
  if (q.first && q.follow) throw new Error("first and follow cannot be combined");
  return q;
}
