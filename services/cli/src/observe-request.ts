// --last/--first/--all/--follow/--since/--until plus filters → GetFlowsRequest, with Hubble's defaulting rules.
import { create } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { parseTimeArg, TimeParseError } from "@flowlens/flow";
import { type FlowFilter, flowExtensionsRequest, type GetFlowsRequest, GetFlowsRequestSchema } from "@flowlens/proto";
import { UsageError } from "./errors.js";

/** Hubble prints this many flows when nothing says otherwise. */
export const DEFAULT_LAST = 20;

export interface Selector {
  last?: number;
  first?: number;
  all?: boolean;
  follow?: boolean;
  since?: string;
  until?: string;
}

function time(flag: string, value: string, now: Date): Timestamp {
  try {
    return parseTimeArg(value, now);
  } catch (err) {
    if (err instanceof TimeParseError) throw new UsageError(`invalid --${flag}: ${err.message}`, { cause: err });
    throw err;
  }
}

export function buildGetFlowsRequest(
  sel: Selector,
  filters: { whitelist: FlowFilter[]; blacklist: FlowFilter[] },
  now: Date = new Date(),
): GetFlowsRequest {
  const first = (sel.first ?? 0) > 0;
  const last = (sel.last ?? 0) > 0;
  if (first && last) throw new UsageError("cannot set both --first and --last");
  if (first && sel.all) throw new UsageError("cannot set both --first and --all");
  if (first && sel.follow) throw new UsageError("cannot set both --first and --follow");
  if (last && sel.all) throw new UsageError("cannot set both --last and --all");

  const since = sel.since ? time("since", sel.since, now) : undefined;
  // With --follow there is no end; the server fills in "now" when only --since is given.
  const until = sel.until && !sel.follow ? time("until", sel.until, now) : undefined;

  let number = BigInt(first ? (sel.first ?? 0) : (sel.last ?? 0));
  if (!since && !until && !first) {
    if (sel.all) number = 2n ** 64n - 1n;
    else if (!last && !sel.follow) number = BigInt(DEFAULT_LAST);
  }
  return create(GetFlowsRequestSchema, {
    number,
    first,
    follow: sel.follow ?? false,
    whitelist: filters.whitelist,
    blacklist: filters.blacklist,
    since,
    until,
    // Ask for Flowlens' per-flow counters, RTT and process (Hubble servers ignore it).
    extensions: flowExtensionsRequest(),
  });
}
