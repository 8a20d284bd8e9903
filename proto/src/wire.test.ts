// Wire-format checks: Hubble field numbers on the wire and Flow round trips through binary and JSON.
import { create, fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import {
  DropReason,
  FLOW_EXTENSION_TYPE_URL,
  FlowEvent,
  FlowSchema,
  GetFlowsResponseSchema,
  getFlowExtension,
  NodeState,
  observerServiceDefinition,
  registry,
  ServerStatusResponseSchema,
  setFlowExtension,
  Verdict,
} from "./index.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function sampleFlow() {
  const flow = create(FlowSchema, {
    time: timestampFromDate(new Date("2024-11-26T06:30:01.123Z")),
    uuid: "5c7f0d3e-0000-4000-8000-000000000001",
    verdict: Verdict.DROPPED,
    dropReasonDesc: DropReason.POLICY_DENIED,
    IP: { source: "10.200.0.2", destination: "10.200.0.3", ipVersion: 1 },
    l4: { protocol: { case: "TCP", value: { sourcePort: 43210, destinationPort: 8080, flags: { SYN: true } } } },
    source: { ID: 1, identity: 12345, namespace: "default", podName: "frontend-1", labels: ["k8s:app=frontend"] },
    destination: { ID: 2, identity: 23456, namespace: "default", podName: "backend", labels: ["k8s:app=backend"] },
    nodeName: "node-a",
    isReply: false,
  });
  return setFlowExtension(flow, {
    packets: 3n,
    bytes: 180n,
    handshakeRttNs: 42_000n,
    pid: 777,
    comm: "curl",
    flowEvents: [FlowEvent.NEW, FlowEvent.TCP_FLAGS],
    kernelDropReason: 8,
    kernelDropReasonName: "NETFILTER_DROP",
  });
}

describe("Hubble field numbers on the wire", () => {
  it("encodes verdict as field 2 varint", () => {
    expect(hex(toBinary(FlowSchema, create(FlowSchema, { verdict: Verdict.DROPPED })))).toBe("1002");
  });
  it("encodes drop_reason_desc as field 25 and POLICY_DENY as 181", () => {
    // tag (25<<3)|0 = 200 → varint c8 01; 181 → b5 01
    expect(hex(toBinary(FlowSchema, create(FlowSchema, { dropReasonDesc: DropReason.POLICY_DENY })))).toBe("c801b501");
    expect(DropReason.POLICY_DENIED).toBe(133);
  });
  it("encodes uuid as field 34 and node_name as field 11", () => {
    expect(hex(toBinary(FlowSchema, create(FlowSchema, { uuid: "a" })))).toBe("92020161");
    expect(hex(toBinary(FlowSchema, create(FlowSchema, { nodeName: "n" })))).toBe("5a016e");
  });
  it("encodes extensions as field 150000 (length-delimited)", () => {
    const bytes = toBinary(FlowSchema, create(FlowSchema, { extensions: { typeUrl: "x", value: new Uint8Array() } }));
    // (150000<<3)|2 = 1200002 → varint 82 9f 49
    expect(hex(bytes.subarray(0, 3))).toBe("829f49");
  });
  it("puts node_name at 1000 and flow at 1 in GetFlowsResponse", () => {
    const resp = create(GetFlowsResponseSchema, {
      nodeName: "n",
      responseTypes: { case: "flow", value: create(FlowSchema, {}) },
    });
    expect(hex(toBinary(GetFlowsResponseSchema, resp))).toBe("0a00c23e016e");
  });
  it("wraps ServerStatus node counts in UInt32Value", () => {
    const s = create(ServerStatusResponseSchema, { numConnectedNodes: 1 });
    expect(hex(toBinary(ServerStatusResponseSchema, s))).toBe("2a020801");
    expect(NodeState.NODE_CONNECTED).toBe(1);
  });
});

describe("Flow round trips", () => {
  it("survives binary encoding with its extension", () => {
    const flow = sampleFlow();
    const back = fromBinary(FlowSchema, toBinary(FlowSchema, flow));
    expect(back).toEqual(flow);
    expect(back.extensions?.typeUrl).toBe(FLOW_EXTENSION_TYPE_URL);
    const ext = getFlowExtension(back);
    expect(ext?.bytes).toBe(180n);
    expect(ext?.comm).toBe("curl");
  });

  it("prints proto-name JSON like `hubble observe -o json` and parses it back", () => {
    const flow = sampleFlow();
    const json = toJson(FlowSchema, flow, { registry, useProtoFieldName: true }) as Record<string, unknown>;
    expect(json.verdict).toBe("DROPPED");
    expect(json.drop_reason_desc).toBe("POLICY_DENIED");
    expect(json.node_name).toBe("node-a");
    expect(json.time).toBe("2024-11-26T06:30:01.123Z");
    expect(json.is_reply).toBe(false);
    expect(json.l4).toEqual({ TCP: { source_port: 43210, destination_port: 8080, flags: { SYN: true } } });
    expect(json.IP).toEqual({ source: "10.200.0.2", destination: "10.200.0.3", ipVersion: "IPv4" });
    expect(json.extensions).toMatchObject({
      "@type": FLOW_EXTENSION_TYPE_URL,
      packets: "3",
      bytes: "180",
      flow_events: ["FLOW_EVENT_NEW", "FLOW_EVENT_TCP_FLAGS"],
      kernel_drop_reason_name: "NETFILTER_DROP",
    });
    const back = fromJson(FlowSchema, json as never, { registry });
    expect(toBinary(FlowSchema, back)).toEqual(toBinary(FlowSchema, flow));
  });
});

describe("observerServiceDefinition", () => {
  it("uses Hubble's gRPC paths and streaming kinds", () => {
    expect(observerServiceDefinition.GetFlows.path).toBe("/observer.Observer/GetFlows");
    expect(observerServiceDefinition.GetFlows.responseStream).toBe(true);
    expect(observerServiceDefinition.ServerStatus.responseStream).toBe(false);
    const resp = create(GetFlowsResponseSchema, { nodeName: "x" });
    const buf = observerServiceDefinition.GetFlows.responseSerialize(resp);
    expect(observerServiceDefinition.GetFlows.responseDeserialize(buf).nodeName).toBe("x");
  });
});
