// GetFlows semantics over the live ring, independent of gRPC: last/first N, since/until,
// follow, filters, and lost-event reporting when a reader is lapped.
import { create } from "@bufbuild/protobuf";
import { type Flow, type GetFlowsResponse, GetFlowsResponseSchema, LostEventSource } from "@flowlens/proto";
import { monoToWallNs, timestampFromWallNs } from "../clock/monotonic.js";
import type { RingEntry } from "../datapath/decoder.js";
import { LostEntry, LostSource } from "../datapath/lost.js";
import type { LiveRing } from "./ring.js";

export interface FlowQuery {
  number: number;
  first: boolean;
  follow: boolean;
  /** CLOCK_MONOTONIC ns bounds (the ring's clock). */
  sinceNs?: number;
  untilNs?: number;
  /** undefined: no filters (flows are then sent without building objects). */
  match?: (flow: Flow) => boolean;
  /** Fill Flow.extensions (the client asked with a flowlens.GetFlowsRequestExtension). */
  withExtensions?: boolean;
}

export interface FlowSink {
  /** false when the transport wants the writer to wait for drain(). Bytes are a pre-encoded response. */
  send(resp: GetFlowsResponse | Uint8Array): boolean;
  drain(): Promise<void>;
  readonly cancelled: boolean;
}

export interface StreamDeps {
  ring: LiveRing<RingEntry>;
  flowOf(entry: Exclude<RingEntry, LostEntry>): Flow;
  /** The GetFlowsResponse of an entry, encoded. */
  responseOf(entry: Exclude<RingEntry, LostEntry>, withExtensions: boolean): Uint8Array;
  nodeName: string;
  /** Told when the stream starts and stops waiting for its client (decoding may hold back). */
  waiting?(waiting: boolean): void;
  /** Told when a reader was lapped by the writer (for ServerStatus and metrics). */
  countLost?(source: number, count: number): void;
  /** Resolves when the ring has new entries or the stream should re-check cancellation. */
  waitForData(): Promise<void>;
}

const LOST_SOURCE: Record<number, LostEventSource> = {
  [LostSource.KERNEL_RING]: LostEventSource.PERF_EVENT_RING_BUFFER,
  [LostSource.EVENTS_QUEUE]: LostEventSource.OBSERVER_EVENTS_QUEUE,
  [LostSource.LIVE_RING]: LostEventSource.HUBBLE_RING_BUFFER,
};

export function lostResponse(source: number, count: number, tsNs: number, nodeName: string): GetFlowsResponse {
  const time = timestampFromWallNs(monoToWallNs(tsNs));
  return create(GetFlowsResponseSchema, {
    responseTypes: {
      case: "lostEvents",
      value: { source: LOST_SOURCE[source] ?? LostEventSource.UNKNOWN_LOST_EVENT_SOURCE, numEventsLost: BigInt(count) },
    },
    nodeName,
    time,
  });
}

export async function streamFlows(q: FlowQuery, deps: StreamDeps, sink: FlowSink): Promise<void> {
  const { ring, nodeName } = deps;
  const inTime = (seq: number) => {
    const t = ring.timeOf(seq);
    return (q.sinceNs === undefined || t >= q.sinceNs) && (q.untilNs === undefined || t <= q.untilNs);
  };
  // Where to start, as Hubble decides it: `since` takes precedence over `number`; `first` reads
  // from the oldest entry; `number` alone means the last N matching entries.
  let seq: number;
  let limit = Number.POSITIVE_INFINITY;
  if (q.sinceNs !== undefined) {
    seq = ring.seekTime(q.sinceNs);
    if (q.number > 0 && !q.follow) limit = q.number;
  } else if (q.first) {
    seq = ring.oldest;
    if (q.number > 0) limit = q.number;
  } else if (q.number > 0) {
    seq = ring.written;
    let found = 0;
    for (let s = ring.written - 1; s >= ring.oldest && found < q.number; s--) {
      const e = ring.get(s);
      if (e === undefined || e instanceof LostEntry || !inTime(s)) continue;
      if (!q.match || q.match(deps.flowOf(e))) {
        found++;
        seq = s;
      }
    }
    if (!q.follow) limit = found;
  } else seq = q.follow ? ring.written : ring.oldest;

  let sent = 0;
  for (;;) {
    if (sink.cancelled) return;
    if (seq < ring.oldest) {
      // Lapped by the writer: say how much was lost, then go on with what is still there.
      const lost = ring.oldest - seq;
      seq = ring.oldest;
      deps.countLost?.(LostSource.LIVE_RING, lost);
      if (!sink.send(lostResponse(LostSource.LIVE_RING, lost, ring.timeOf(seq), nodeName))) await drain(sink, deps);
    }
    while (seq < ring.written && sent < limit) {
      const s = seq++;
      const e = ring.get(s);
      if (e === undefined) continue;
      // Times are only nearly in order (CPUs stamp records before reserving ring space): skip
      // later entries instead of stopping at the first one; the ring bounds the scan.
      if (q.untilNs !== undefined && ring.timeOf(s) > q.untilNs) continue;
      let resp: GetFlowsResponse | Uint8Array;
      if (e instanceof LostEntry) {
        resp = lostResponse(e.source, e.count, e.tsNs, nodeName);
      } else {
        if (q.sinceNs !== undefined && ring.timeOf(s) < q.sinceNs) continue;
        if (q.match && !q.match(deps.flowOf(e))) continue;
        // Hubble's clients cannot resolve our Any type when printing JSON: extensions on request only.
        resp = deps.responseOf(e, q.withExtensions === true);
        sent++;
      }
      if (!sink.send(resp)) {
        await drain(sink, deps);
        if (sink.cancelled) return;
      }
      if (seq < ring.oldest) break;
    }
    if (seq < ring.oldest) continue; // lapped while waiting for the transport: report it first
    if (sent >= limit) return;
    if (!q.follow) return;
    if (q.untilNs !== undefined && monoNow() > q.untilNs) return;
    if (seq >= ring.written) await deps.waitForData();
  }
}

async function drain(sink: FlowSink, deps: StreamDeps): Promise<void> {
  deps.waiting?.(true);
  try {
    await sink.drain();
  } finally {
    deps.waiting?.(false);
  }
}

function monoNow(): number {
  return Number(process.hrtime.bigint());
}
