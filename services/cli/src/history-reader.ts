// Reads stored flows from flowlens-api's GET /api/v1/flows (format=ndjson: one GetFlowsResponse per line),
// page after page along the API's keyset cursor, as the GetFlowsResponse messages the live stream yields.
import { fromJson } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { type GetFlowsResponse, GetFlowsResponseSchema, registry } from "@flowlens/proto";
import { apiRequest } from "./api-client.js";
import type { ApiTarget } from "./api-options.js";
import { RuntimeError } from "./errors.js";

/** Most flows the API returns per page. */
export const PAGE_LIMIT = 10_000;

export interface HistoryQuery {
  since: Timestamp;
  until: Timestamp;
  /** Filter-language text (history-filter.ts), or none. */
  filter?: string;
  order: "oldest" | "newest";
  /** Most flows in total; undefined = every flow in the range. */
  limit?: number;
}

/** RFC 3339 with nanoseconds, as the API reads it. */
export function rfc3339(ts: Timestamp): string {
  const base = new Date(Number(ts.seconds) * 1000).toISOString().slice(0, 19);
  return `${base}.${String(ts.nanos).padStart(9, "0")}Z`;
}

function pageUrl(q: HistoryQuery, limit: number, cursor: string | undefined): string {
  const p = new URLSearchParams({
    since: rfc3339(q.since),
    until: rfc3339(q.until),
    order: q.order,
    limit: String(limit),
    format: "ndjson",
    extensions: "true", // the collector's counters, RTT and process, as the live stream carries them
  });
  if (q.filter) p.set("filter", q.filter);
  if (cursor) p.set("cursor", cursor);
  return `/api/v1/flows?${p}`;
}

function parseLine(line: string, api: ApiTarget): GetFlowsResponse {
  try {
    return fromJson(GetFlowsResponseSchema, JSON.parse(line), { registry, ignoreUnknownFields: true });
  } catch (err) {
    throw new RuntimeError(`flowlens-api at ${api.url} sent a flow that is not GetFlowsResponse JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Every flow of the query in the API's order; stops early when the signal aborts. */
export async function* readHistory(api: ApiTarget, q: HistoryQuery, signal?: AbortSignal): AsyncGenerator<GetFlowsResponse> {
  let cursor: string | undefined;
  let left = q.limit ?? Number.POSITIVE_INFINITY;
  while (left > 0 && !signal?.aborted) {
    const limit = Math.min(left, PAGE_LIMIT);
    const res = await apiRequest(api, pageUrl(q, limit, cursor), { signal });
    const body = await res.text();
    for (const line of body.split("\n")) {
      if (line.trim() === "") continue;
      left--;
      yield parseLine(line, api);
    }
    cursor = res.headers.get("flowlens-next") ?? undefined;
    if (!cursor) return;
  }
}
