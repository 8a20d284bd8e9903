// GetFlows over the relay's ring, independent of gRPC: number/first counted per node (as Hubble's
// relay does: each node's last or first N, merged), since/until, filters, follow, node status and
// lost events, and readers lapped by the writer told how much they missed.
import { type Flow, type GetFlowsResponse, LostEventSource, type NodeState } from "@flowlens/proto";
import { decodedFlow, type RelayFlow } from "../merge/relay-flow.js";
import type { RelayRing, RingItem } from "../merge/ring.js";
import { flowResponse, lostItemResponse, lostResponse, statusResponse } from "./responses.js";

export interface RelayQuery {
  number: number;
  first: boolean;
  follow: boolean;
  /** Wall-clock ns bounds. */
  sinceNs?: number;
  untilNs?: number;
  match?: (flow: Flow) => boolean;
  withExtensions: boolean;
}

export interface ResponseSink {
  /** false when the transport wants the writer to wait for drain(). */
  send(resp: GetFlowsResponse | Uint8Array): boolean;
  drain(): Promise<void>;
  readonly cancelled: boolean;
}

export interface RelayStreamDeps {
  ring: RelayRing;
  relayName: string;
  /** Node status at the start of the stream (Hubble: NODE_CONNECTED and NODE_UNAVAILABLE lists). */
  initialStatus(): { state: NodeState; nodes: string[]; message: string }[];
  countLapped?(count: number): void;
  waitForData(): Promise<void>;
}

function wanted(q: RelayQuery, f: RelayFlow): boolean {
  if (q.sinceNs !== undefined && f.timeNs < q.sinceNs) return false;
  if (q.untilNs !== undefined && f.timeNs > q.untilNs) return false;
  return !q.match || q.match(decodedFlow(f));
}

/** Sequence numbers of the history part, ascending (flows selected, events between them). */
function history(q: RelayQuery, ring: RelayRing, end: number): number[] {
  const perNode = q.number > 0 && !(q.follow && q.sinceNs !== undefined) ? q.number : Number.POSITIVE_INFINITY;
  const counts = new Map<string, number>();
  const take = (f: RelayFlow) => {
    const n = counts.get(f.node) ?? 0;
    if (n >= perNode) return false;
    counts.set(f.node, n + 1);
    return true;
  };
  const out: number[] = [];
  const isFlow = (e: RingItem | undefined): e is RelayFlow => e?.kind === "flow";
  if (q.sinceNs === undefined && !q.first && q.number > 0) {
    // Each node's last N: walk backwards, then put the result in ring order.
    for (let s = end - 1; s >= ring.oldest; s--) {
      const e = ring.get(s);
      if (isFlow(e) && wanted(q, e) && take(e)) out.push(s);
    }
    out.reverse();
  } else if (q.sinceNs !== undefined || q.first || !q.follow) {
    for (let s = ring.oldest; s < end; s++) {
      const e = ring.get(s);
      if (isFlow(e) && wanted(q, e) && take(e)) out.push(s);
    }
  }
  // Lost events inside the selected range go with it (the client should know about gaps).
  if (out.length) {
    const from = out[0];
    const merged: number[] = [];
    let i = 0;
    for (let s = from; s < end; s++) {
      if (i < out.length && out[i] === s) {
        merged.push(s);
        i++;
      } else if (ring.get(s)?.kind === "lost" && s < out[out.length - 1]) merged.push(s);
    }
    return merged;
  }
  return out;
}

function responseOf(item: RingItem, q: RelayQuery, relayName: string): GetFlowsResponse | Uint8Array {
  if (item.kind === "flow") return flowResponse(item, q.withExtensions);
  if (item.kind === "lost") return lostItemResponse(item);
  return statusResponse(item, relayName);
}

export async function streamRelayFlows(q: RelayQuery, deps: RelayStreamDeps, sink: ResponseSink): Promise<void> {
  const { ring } = deps;
  const send = async (resp: GetFlowsResponse | Uint8Array) => {
    if (!sink.send(resp)) await sink.drain();
  };
  for (const s of deps.initialStatus()) if (s.nodes.length) await send(statusResponse(s, deps.relayName));
  const start = ring.written;
  let lapped = 0;
  for (const s of history(q, ring, start)) {
    if (sink.cancelled) return;
    const e = ring.get(s);
    if (e === undefined) {
      lapped++;
      continue;
    }
    if (lapped) {
      await send(lostResponse(deps.relayName, LostEventSource.HUBBLE_RING_BUFFER, lapped, e.timeNs));
      deps.countLapped?.(lapped);
      lapped = 0;
    }
    await send(responseOf(e, q, deps.relayName));
  }
  if (!q.follow || sink.cancelled) return;

  let seq = start;
  for (;;) {
    if (sink.cancelled) return;
    if (seq < ring.oldest) {
      const lost = ring.oldest - seq;
      seq = ring.oldest;
      deps.countLapped?.(lost);
      await send(lostResponse(deps.relayName, LostEventSource.HUBBLE_RING_BUFFER, lost, Date.now() * 1e6));
    }
    while (seq < ring.written && seq >= ring.oldest) {
      const e = ring.get(seq++) as RingItem;
      if (e.kind === "flow" && !wanted(q, e)) continue;
      if (!sink.send(responseOf(e, q, deps.relayName))) {
        await sink.drain();
        if (sink.cancelled) return;
      }
    }
    if (q.untilNs !== undefined && Date.now() * 1e6 > q.untilNs) return;
    if (seq >= ring.written) await deps.waitForData();
  }
}
