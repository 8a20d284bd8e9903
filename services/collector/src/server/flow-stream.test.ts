import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { decodeFlowBatch, encodeFlowBatch, FlowSchema, GetFlowsRequestSchema, GetFlowsResponseSchema } from "@flowlens/proto";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { RingEntry } from "../datapath/decoder.js";
import { DatapathEvent } from "../datapath/events.js";
import { LiveRing } from "../flows/ring.js";
import { createFlowStreamHandlers, flowStreamDefinition } from "./flow-stream.js";
import type { ObserverState } from "./observer-state.js";

const EMPTY = Buffer.alloc(0);
const ring = new LiveRing<RingEntry>(10_000);
const listeners = new Set<() => void>();
const push = (i: number) => ring.push(new DatapathEvent(1, EMPTY, i, i * 1000), i * 1000);
for (let i = 0; i < 1000; i++) push(i);

const state: ObserverState = {
  nodeName: "n1",
  version: "test",
  address: "",
  startedAt: Date.now(),
  deps: {
    ring,
    nodeName: "n1",
    flowOf: (e) => create(FlowSchema, { uuid: String(e.off) }),
    responseOf: (e) =>
      toBinary(GetFlowsResponseSchema, create(GetFlowsResponseSchema, { responseTypes: { case: "flow", value: { uuid: String(e.off) } } })),
  },
  subscribe: (l) => {
    listeners.add(l);
    return () => listeners.delete(l);
  },
  namespaces: () => [],
  flowsRate: () => 0,
  lost: () => new Map(),
};

const Client = grpc.makeGenericClientConstructor(flowStreamDefinition, "FlowStream");
let server: grpc.Server;
let client: grpc.Client & { GetFlowBatches(req: unknown): grpc.ClientReadableStream<Buffer> };

beforeAll(async () => {
  server = new grpc.Server();
  server.addService(flowStreamDefinition, createFlowStreamHandlers(state));
  const port = await new Promise<number>((ok, fail) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))),
  );
  client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as typeof client;
});

afterAll(() => {
  client?.close();
  server?.forceShutdown();
});

const uuidsOf = (batch: Buffer) =>
  decodeFlowBatch(batch).map((r) => {
    const resp = fromBinary(GetFlowsResponseSchema, r);
    return resp.responseTypes.case === "flow" ? resp.responseTypes.value.uuid : "";
  });

describe("flowlens.FlowStream/GetFlowBatches", () => {
  it("round-trips a batch of encoded responses", () => {
    const rs = [new Uint8Array([1, 2]), new Uint8Array([]), new Uint8Array([3])];
    expect(decodeFlowBatch(encodeFlowBatch(rs)).map((r) => [...r])).toEqual([[1, 2], [], [3]]);
  });

  it("sends what GetFlows would send, many responses per message", async () => {
    const batches: Buffer[] = [];
    await new Promise<void>((ok, fail) => {
      const s = client.GetFlowBatches(create(GetFlowsRequestSchema, { first: true }));
      s.on("data", (b: Buffer) => batches.push(b));
      s.on("end", ok);
      s.on("error", fail);
    });
    const uuids = batches.flatMap(uuidsOf);
    expect(uuids).toEqual(Array.from({ length: 1000 }, (_, i) => String(i)));
    expect(batches.length).toBeLessThan(10); // 256 per batch
  });

  it("follows: new flows arrive within a few milliseconds, batched", async () => {
    const got: string[] = [];
    const following = listeners.size;
    const s = client.GetFlowBatches(create(GetFlowsRequestSchema, { follow: true }));
    s.on("data", (b: Buffer) => got.push(...uuidsOf(b)));
    s.on("error", () => {});
    await vi.waitFor(() => expect(listeners.size).toBeGreaterThan(following)); // the server follows the ring
    for (let i = 1000; i < 1010; i++) push(i);
    for (const l of listeners) l();
    await vi.waitFor(() => expect(got.length).toBeGreaterThanOrEqual(10), { timeout: 2000 });
    s.cancel();
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => String(1000 + i)));
  });

  it("refuses a bad request as GetFlows does", async () => {
    const err = await new Promise<grpc.ServiceError>((ok) => {
      const s = client.GetFlowBatches(create(GetFlowsRequestSchema, { first: true, follow: true }));
      s.on("data", () => {});
      s.on("error", ok);
    });
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
  });
});
