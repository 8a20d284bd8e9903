import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { flowBytesOfResponse, scanFlowHeader } from "./flow-scan.js";
import { FlowSchema, GetFlowsResponseSchema, NodeStatusEventSchema } from "./index.js";

describe("flow scan", () => {
  const flow = create(FlowSchema, {
    uuid: "6f1c2a9e-3b7d-4c55-9a0e-1d2f3a4b5c6d",
    time: { seconds: 1764140000n, nanos: 123456789 },
    nodeName: "node-a",
    Summary: "x".repeat(500),
    IP: { source: "10.0.0.1", destination: "10.0.0.2" },
  });

  it("reads uuid, time and node name from Flow bytes", () => {
    expect(scanFlowHeader(toBinary(FlowSchema, flow))).toEqual({
      uuid: flow.uuid,
      timeNs: 1764140000 * 1e9 + 123456789,
      nodeName: "node-a",
    });
  });

  it("finds the Flow inside a GetFlowsResponse, and nothing in other responses", () => {
    const resp = toBinary(
      GetFlowsResponseSchema,
      create(GetFlowsResponseSchema, { responseTypes: { case: "flow", value: flow }, nodeName: "node-a" }),
    );
    const inner = flowBytesOfResponse(resp);
    expect(inner && scanFlowHeader(inner).uuid).toBe(flow.uuid);
    const status = toBinary(
      GetFlowsResponseSchema,
      create(GetFlowsResponseSchema, { responseTypes: { case: "nodeStatus", value: create(NodeStatusEventSchema, { nodeNames: ["n"] }) } }),
    );
    expect(flowBytesOfResponse(status)).toBeUndefined();
  });
});
