// flowToRow: every column from the right Flow field, enums by their proto names, the whole flow kept.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { DropReason, FlowEvent, FlowSchema, L7FlowType, setFlowExtension, Verdict } from "@flowlens/proto";
import { describe, expect, test } from "vitest";
import { dateTimeFromSeconds, flowToRow, workloadOf } from "./rows.js";
import { FLOW_COLUMNS } from "./schema.js";
import { testFlow } from "./testkit.js";

describe("flowToRow", () => {
  const ms = Date.UTC(2025, 5, 1, 12, 30, 45, 123);
  const flow = testFlow({
    uuid: "f-1",
    timeMs: ms,
    verdict: Verdict.DROPPED,
    events: [FlowEvent.NEW, FlowEvent.DROP],
    bytes: 999,
    packets: 3,
  });

  test("maps the L3/L4 fields, endpoints and extension", () => {
    const row = flowToRow(flow);
    expect(row).toMatchObject({
      time: "2025-06-01 12:30:45",
      time_ns: 123_000_000,
      uuid: "f-1",
      node_name: "node-a",
      verdict: "DROPPED",
      drop_reason: "POLICY_DENIED",
      type: "L3_L4",
      observation_point: "FROM_ENDPOINT",
      ip_version: 4,
      src_ip: "10.99.0.2",
      dst_ip: "10.99.0.3",
      src_port: 40000,
      dst_port: 8080,
      protocol: "TCP",
      tcp_flags: ["SYN"],
      src_namespace: "default",
      src_pod: "frontend-7d9f",
      src_workload: "frontend",
      src_labels: ["k8s:app=frontend", "k8s:tier=web"],
      src_identity: 1001,
      dst_pod: "backend-5c4b",
      dst_workload: "backend",
      dst_identity: 1002,
      traffic_direction: "EGRESS",
      is_reply: 0,
      interface: "lxc-frontend",
      packets: 3,
      bytes: 999,
      rtt_ns: 120000,
      flow_events: ["NEW", "DROP"],
      pid: 4242,
      comm: "curl",
      l7_type: "",
      http_code: 0,
    });
  });

  test("keeps the whole flow as base64 protobuf, reusing bytes the caller already has", () => {
    const row = flowToRow(flow);
    const back = fromBinary(FlowSchema, Buffer.from(row.flow_pb, "base64"));
    expect(back.uuid).toBe("f-1");
    expect(toBinary(FlowSchema, back)).toEqual(toBinary(FlowSchema, flow));
    const given = new Uint8Array([1, 2, 3]);
    expect(flowToRow(flow, given).flow_pb).toBe("AQID");
  });

  test("has exactly the table's columns", () => {
    const columns = FLOW_COLUMNS.split(",").map((c) => c.trim().split(" ")[0]);
    expect(Object.keys(flowToRow(flow))).toEqual(columns);
  });

  test("a bare flow (no endpoints, no L4, unknown reply, no extension) still makes a row", () => {
    const row = flowToRow(create(FlowSchema, { uuid: "bare" }));
    expect(row).toMatchObject({ time: "1970-01-01 00:00:00", protocol: "", src_pod: "", is_reply: -1, packets: 0, flow_events: [] });
  });

  test("ICMP, reply flag and L7 HTTP", () => {
    const f = create(FlowSchema, {
      uuid: "l7",
      time: timestampFromMs(ms),
      isReply: true,
      l4: { protocol: { case: "ICMPv6", value: { type: 128, code: 0 } } },
      l7: {
        type: L7FlowType.RESPONSE,
        latencyNs: 5000n,
        record: { case: "http", value: { code: 503, method: "GET", url: "/x?a='1'", protocol: "HTTP/1.1" } },
      },
      dropReasonDesc: DropReason.DROP_REASON_UNKNOWN,
    });
    setFlowExtension(f, { packets: 1n });
    expect(flowToRow(f)).toMatchObject({
      protocol: "ICMPv6",
      icmp_type: 128,
      is_reply: 1,
      drop_reason: "",
      l7_type: "RESPONSE",
      l7_latency_ns: 5000,
      http_code: 503,
      http_method: "GET",
      http_url: "/x?a='1'",
      packets: 1,
    });
  });
});

describe("workloadOf", () => {
  test.each([
    ["workload name first", { workloads: [{ name: "cart", kind: "Deployment" }], labels: ["app=x"], podName: "p" }, "cart"],
    ["app label with source prefix", { workloads: [], labels: ["k8s:tier=web", "k8s:app=shop"], podName: "p" }, "shop"],
    ["app label plain", { workloads: [], labels: ["app=db"], podName: "p" }, "db"],
    ["k8s name label", { workloads: [], labels: ["k8s:app.kubernetes.io/name=api"], podName: "p" }, "api"],
    ["value with a colon", { workloads: [], labels: ["app=a:b"], podName: "p" }, "a:b"],
    ["pod name otherwise", { workloads: [], labels: ["tier=web"], podName: "frontend-1" }, "frontend-1"],
    ["the world", { workloads: [], labels: ["reserved:world"], podName: "" }, "reserved:world"],
    ["the host", { workloads: [], labels: ["reserved:host"], podName: "" }, "reserved:host"],
    ["a CIDR identity", { workloads: [], labels: ["x=y", "cidr:10.0.0.0/8"], podName: "" }, "cidr:10.0.0.0/8"],
  ])("%s", (_n, ep, want) => {
    expect(workloadOf(ep as never)).toBe(want);
  });
  test("no endpoint", () => expect(workloadOf(undefined)).toBe(""));
});

test("dateTimeFromSeconds", () => {
  expect(dateTimeFromSeconds(0)).toBe("1970-01-01 00:00:00");
  expect(dateTimeFromSeconds(1_700_000_000)).toBe("2023-11-14 22:13:20");
});
