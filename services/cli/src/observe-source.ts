// Where `observe` reads from: the live ring (relay/collector) when it still holds the start of the range, else
// the API's history — then, with --follow, live again from the last stored flow, deduplicated at the seam.
import { create } from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { type GetFlowsRequest, GetFlowsRequestSchema, type GetFlowsResponse } from "@flowlens/proto";
import type { HistoryQuery } from "./history-reader.js";

export function tsNanos(ts: Timestamp | undefined): bigint {
  return ts ? ts.seconds * 1_000_000_000n + BigInt(ts.nanos) : 0n;
}

/** True when the range starts before the oldest flow the live server holds (or it holds none). */
export function needsHistory(since: Timestamp | undefined, liveOldest: Timestamp | undefined): boolean {
  if (!since) return false;
  return !liveOldest || tsNanos(since) < tsNanos(liveOldest);
}

/** How far back `--last N` without --since looks in the history: the API's default --max-range. */
export const LAST_LOOKBACK_NS = 7n * 86_400n * 1_000_000_000n;

/** `--last N` alone, which the history answers when N is more than the live ring holds. */
export function isPlainLast(req: GetFlowsRequest): boolean {
  return req.number > 0n && !req.first && !req.since && !req.until;
}

function fromNanos(ns: bigint): Timestamp {
  return create(TimestampSchema, { seconds: ns / 1_000_000_000n, nanos: Number(ns % 1_000_000_000n) });
}

/**
 * The history query for a request: --last N = the newest N (printed oldest first), --first N = the oldest N,
 * else all; without --since (plain --last N) the range is the last LAST_LOOKBACK_NS.
 */
export function historyQuery(req: GetFlowsRequest, now: Timestamp, filter: string | undefined): HistoryQuery {
  const n = Number(req.number);
  const until = req.until && !req.follow ? req.until : now;
  const since = req.since ?? fromNanos(tsNanos(until) - LAST_LOOKBACK_NS);
  if (n > 0 && !req.first) return { since, until, filter, order: "newest", limit: n };
  return { since, until, filter, order: "oldest", limit: n > 0 ? n : undefined };
}

/** The live request that continues after the history: from the last stored flow's time, following. */
export function liveAfterHistory(req: GetFlowsRequest, lastTime: Timestamp | undefined): GetFlowsRequest {
  return create(GetFlowsRequestSchema, { ...req, number: 0n, first: false, since: lastTime ?? req.since, until: undefined });
}

/**
 * Drops live flows the history already printed: the live stream starts at the last stored flow's time, so
 * flows at exactly that time may come twice; they are recognized by uuid.
 */
export class SeamDedupe {
  private readonly seen = new Set<string>();
  private last = -1n;

  /** Records a history flow. */
  history(res: GetFlowsResponse): void {
    const flow = res.responseTypes.case === "flow" ? res.responseTypes.value : undefined;
    if (!flow) return;
    const t = tsNanos(flow.time);
    if (t > this.last) {
      this.last = t;
      this.seen.clear();
    }
    if (t === this.last && flow.uuid) this.seen.add(flow.uuid);
  }

  /** The time live should start from (the newest history flow's), if any. */
  lastTime(): Timestamp | undefined {
    return this.last < 0n ? undefined : fromNanos(this.last);
  }

  /** False for a live flow the history printed. */
  keep(res: GetFlowsResponse): boolean {
    if (this.seen.size === 0 || res.responseTypes.case !== "flow") return true;
    const flow = res.responseTypes.value;
    if (tsNanos(flow.time) > this.last) {
      this.seen.clear(); // past the seam: nothing more to compare
      return true;
    }
    return !this.seen.has(flow.uuid);
  }
}
