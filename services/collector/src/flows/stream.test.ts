import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Flow, FlowSchema, type GetFlowsResponse, GetFlowsResponseSchema, LostEventSource } from "@flowlens/proto";
import { describe, expect, it, vi } from "vitest";
import type { RingEntry } from "../datapath/decoder.js";
import { DatapathEvent } from "../datapath/events.js";
import { LostEntry, LostSource } from "../datapath/lost.js";
import { LiveRing } from "./ring.js";
import { type FlowQuery, type StreamDeps, streamFlows } from "./stream.js";

const EMPTY = Buffer.alloc(0);

function ringOf(n: number, capacity = 100): LiveRing<RingEntry> {
  const ring = new LiveRing<RingEntry>(capacity);
  for (let i = 0; i < n; i++) ring.push(new DatapathEvent(1, EMPTY, i, i * 1000), i * 1000);
  return ring;
}

function deps(ring: LiveRing<RingEntry>, lost: [number, number][] = []): StreamDeps {
  return {
    ring,
    nodeName: "n1",
    flowOf: (e) => create(FlowSchema, { uuid: String(e.off) }),
    responseOf: (e, withExt) =>
      toBinary(
        GetFlowsResponseSchema,
        create(GetFlowsResponseSchema, {
          responseTypes: { case: "flow", value: { uuid: String(e.off), Summary: withExt ? "with-ext" : "" } },
        }),
      ),
    countLost: (s, n) => lost.push([s, n]),
    waitForData: () => new Promise((r) => setTimeout(r, 5)),
  };
}

function collect(limitFollow = Number.POSITIVE_INFINITY) {
  const got: GetFlowsResponse[] = [];
  let cancelled = false;
  return {
    got,
    sink: {
      send(r: GetFlowsResponse | Uint8Array) {
        got.push(asResponse(r));
        if (got.length >= limitFollow) cancelled = true;
        return true;
      },
      drain: async () => {},
      get cancelled() {
        return cancelled;
      },
    },
    uuids: () => got.flatMap((r) => (r.responseTypes.case === "flow" ? [r.responseTypes.value.uuid] : [])),
  };
}

const asResponse = (r: GetFlowsResponse | Uint8Array) => (r instanceof Uint8Array ? fromBinary(GetFlowsResponseSchema, r) : r);

const q = (over: Partial<FlowQuery>): FlowQuery => ({ number: 0, first: false, follow: false, ...over });

describe("streamFlows", () => {
  it("asks for the encoding with or without extensions as the client requested", async () => {
    const plain = collect();
    await streamFlows(q({}), deps(ringOf(1)), plain.sink);
    const asked = collect();
    await streamFlows(q({ withExtensions: true }), deps(ringOf(1)), asked.sink);
    const summary = (c: ReturnType<typeof collect>) =>
      c.got[0].responseTypes.case === "flow" ? c.got[0].responseTypes.value.Summary : "none";
    expect(summary(plain)).toBe("");
    expect(summary(asked)).toBe("with-ext");
  });

  it("sends the last N in time order", async () => {
    const c = collect();
    await streamFlows(q({ number: 3 }), deps(ringOf(10)), c.sink);
    expect(c.uuids()).toEqual(["7", "8", "9"]);
  });

  it("sends the first N", async () => {
    const c = collect();
    await streamFlows(q({ number: 2, first: true }), deps(ringOf(10)), c.sink);
    expect(c.uuids()).toEqual(["0", "1"]);
  });

  it("counts the last N among matching flows only", async () => {
    const c = collect();
    const even = (f: Flow) => Number(f.uuid) % 2 === 0;
    await streamFlows(q({ number: 2, match: even }), deps(ringOf(10)), c.sink);
    expect(c.uuids()).toEqual(["6", "8"]);
  });

  it("bounds by since and until (inclusive)", async () => {
    const c = collect();
    await streamFlows(q({ sinceNs: 3000, untilNs: 5000 }), deps(ringOf(10)), c.sink);
    expect(c.uuids()).toEqual(["3", "4", "5"]);
  });

  it("gives since precedence over number, as Hubble does: the first N from since", async () => {
    const c = collect();
    await streamFlows(q({ sinceNs: 4000, number: 2 }), deps(ringOf(10)), c.sink);
    expect(c.uuids()).toEqual(["4", "5"]);
  });

  it("follows: only new entries, as they arrive", async () => {
    const ring = ringOf(5);
    const c = collect(2);
    const d = deps(ring);
    let waiting = false;
    const waitForData = () => {
      waiting = true;
      return d.waitForData();
    };
    const done = streamFlows(q({ follow: true }), { ...d, waitForData }, c.sink);
    await vi.waitFor(() => expect(waiting).toBe(true));
    ring.push(new DatapathEvent(1, EMPTY, 100, 1), 1);
    ring.push(new DatapathEvent(1, EMPTY, 101, 2), 2);
    ring.notify();
    await done;
    expect(c.uuids()).toEqual(["100", "101"]);
  });

  it("passes kernel loss entries through as LostEvent", async () => {
    const ring = ringOf(2);
    ring.push(new LostEntry(LostSource.KERNEL_RING, 7, 5000), 5000);
    const c = collect();
    await streamFlows(q({}), deps(ring), c.sink);
    const lost = c.got.find((r) => r.responseTypes.case === "lostEvents");
    expect(lost?.responseTypes.value).toMatchObject({ source: LostEventSource.PERF_EVENT_RING_BUFFER, numEventsLost: 7n });
  });

  it("tells a lapped reader how much it missed and counts it", async () => {
    const ring = ringOf(4, 4);
    const lost: [number, number][] = [];
    const d = deps(ring, lost);
    const got: GetFlowsResponse[] = [];
    let first = true;
    const sink = {
      cancelled: false,
      send(r: GetFlowsResponse | Uint8Array) {
        got.push(asResponse(r));
        if (first) {
          // While the first response is in flight, the writer laps the reader.
          first = false;
          for (let i = 10; i < 16; i++) ring.push(new DatapathEvent(1, EMPTY, i, i * 1000), i * 1000);
          return false;
        }
        return true;
      },
      drain: async () => {},
    };
    await streamFlows(q({ first: true }), d, sink);
    const lostResp = got.find((r) => r.responseTypes.case === "lostEvents");
    expect(lostResp?.responseTypes.value).toMatchObject({ source: LostEventSource.HUBBLE_RING_BUFFER });
    expect(lost[0][0]).toBe(LostSource.LIVE_RING);
    expect(lost[0][1]).toBeGreaterThan(0);
    const uuids = got.flatMap((r) => (r.responseTypes.case === "flow" ? [r.responseTypes.value.uuid] : []));
    expect(uuids).toEqual(["0", "12", "13", "14", "15"]);
  });
});
