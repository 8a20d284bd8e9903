// Tests for the compact, dict, json, table printers and the node-status / lost-event lines.
import { create, fromJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  DropReason,
  FlowSchema,
  GetFlowsResponseSchema,
  LostEventSource,
  NodeState,
  NodeStatusEventSchema,
  PolicySchema,
  registry,
  setFlowExtension,
  Verdict,
} from "@flowlens/proto";
import { describe, expect, it } from "vitest";
import { formatCompact } from "./compact.js";
import { formatDict } from "./dict.js";
import { formatLostEvent, formatNodeStatus, joinWithCutOff } from "./events.js";
import { formatJson } from "./json.js";
import { createPrinter } from "./printer.js";
import { formatTable } from "./table.js";
import { rfc3339Nano, stampMilli } from "./timestamp.js";

const time = timestampFromDate(new Date("2024-11-26T06:30:01.123Z"));

const syn = create(FlowSchema, {
  time,
  verdict: Verdict.FORWARDED,
  IP: { source: "10.200.0.2", destination: "10.200.0.3", ipVersion: 1 },
  l4: { protocol: { case: "TCP", value: { sourcePort: 43210, destinationPort: 8080, flags: { SYN: true } } } },
  source: { identity: 12345, namespace: "default", podName: "frontend-1" },
  destination: { identity: 23456, namespace: "default", podName: "backend" },
  eventType: { type: 4, subType: 0 },
  isReply: false,
  nodeName: "node-a",
});

const policyDrop = create(FlowSchema, {
  time,
  verdict: Verdict.DROPPED,
  dropReasonDesc: DropReason.POLICY_DENIED,
  IP: { source: "10.200.0.2", destination: "10.200.0.4", ipVersion: 1 },
  l4: { protocol: { case: "UDP", value: { sourcePort: 5000, destinationPort: 53 } } },
  source: { identity: 12345, namespace: "default", podName: "frontend-1" },
  destination: { identity: 2 },
  eventType: { type: 1, subType: 133 },
});

const response = (flow = syn) => create(GetFlowsResponseSchema, { nodeName: "node-a", time, responseTypes: { case: "flow", value: flow } });

describe("timestamps", () => {
  it("prints Go StampMilli in UTC with a space-padded day", () => {
    expect(stampMilli(time)).toBe("Nov 26 06:30:01.123");
    expect(stampMilli(timestampFromDate(new Date("2024-01-05T00:00:00Z")))).toBe("Jan  5 00:00:00.000");
    expect(stampMilli(undefined)).toBe("N/A");
  });
  it("prints RFC 3339 Nano", () => {
    expect(rfc3339Nano({ ...time, nanos: 123456789 })).toBe("2024-11-26T06:30:01.123456789Z");
  });
});

describe("compact", () => {
  it("matches Hubble's layout", () => {
    expect(formatCompact(syn)).toBe(
      "Nov 26 06:30:01.123: default/frontend-1:43210 (ID:12345) -> default/backend:8080 (ID:23456) to-endpoint FORWARDED (TCP Flags: SYN)",
    );
  });
  it("flips replies and marks unknown direction", () => {
    const reply = create(FlowSchema, { ...syn, isReply: true });
    expect(formatCompact(reply)).toContain("default/backend:8080 (ID:23456) <- default/frontend-1:43210 (ID:12345)");
    expect(formatCompact(policyDrop)).toContain(" <> ");
  });
  it("names drop reasons and reserved identities, prints the node when asked", () => {
    expect(formatCompact(policyDrop, { nodeName: true })).toBe(
      "Nov 26 06:30:01.123 []: default/frontend-1:5000 (ID:12345) <> 10.200.0.4:53 (world) Policy denied DROPPED (UDP)",
    );
    expect(formatCompact(syn, { nodeName: true })).toMatch(/^Nov 26 06:30:01\.123 \[node-a\]: /);
  });
  it("shows IPs without ip translation", () => {
    expect(formatCompact(syn, { ipTranslation: false })).toContain("10.200.0.2:43210 (ID:12345) -> 10.200.0.3:8080");
  });
  it("appends policy names when asked", () => {
    const f = create(FlowSchema, { ...syn, ingressAllowedBy: [create(PolicySchema, { name: "allow-web", namespace: "default" })] });
    expect(formatCompact(f, { policyNames: true })).toContain("(TCP Flags: SYN; Policies: ingress-allowed-by: default/allow-web)");
  });
});

describe("extensions", () => {
  it("appends Flowlens counters when asked", () => {
    const f = setFlowExtension(create(FlowSchema, syn), { packets: 3n, bytes: 180n, handshakeRttNs: 42_000n, pid: 7, comm: "curl" });
    expect(formatCompact(f, { extensions: true })).toContain("(TCP Flags: SYN; pkts=3 bytes=180 rtt=42µs pid=7 comm=curl)");
    expect(formatCompact(f)).toContain("(TCP Flags: SYN)");
  });
});

describe("dict and table", () => {
  it("prints a dict block", () => {
    expect(formatDict(syn)).toBe(
      "  TIMESTAMP: Nov 26 06:30:01.123\n" +
        "     SOURCE: default/frontend-1:43210\n" +
        "DESTINATION: default/backend:8080\n" +
        "       TYPE: to-endpoint\n" +
        "    VERDICT: FORWARDED\n" +
        "    SUMMARY: TCP Flags: SYN\n",
    );
  });
  it("aligns table columns with three spaces of padding", () => {
    const lines = formatTable([syn, policyDrop]).split("\n");
    expect(lines[0]).toBe("TIMESTAMP             SOURCE                     DESTINATION            TYPE            VERDICT     SUMMARY");
    expect(lines[1]).toBe(
      "Nov 26 06:30:01.123   default/frontend-1:43210   default/backend:8080   to-endpoint     FORWARDED   TCP Flags: SYN",
    );
    expect(lines[2]?.startsWith("Nov 26 06:30:01.123   default/frontend-1:5000    10.200.0.4:53")).toBe(true);
  });
});

describe("json", () => {
  it("prints one GetFlowsResponse per line with proto field names and resolved extensions", () => {
    const flow = setFlowExtension(create(FlowSchema, syn), { packets: 2n, bytes: 120n, comm: "curl" });
    const line = formatJson(response(flow));
    expect(line).not.toContain("\n");
    const obj = JSON.parse(line);
    expect(obj.node_name).toBe("node-a");
    expect(obj.time).toBe("2024-11-26T06:30:01.123Z");
    expect(obj.flow.verdict).toBe("FORWARDED");
    expect(obj.flow.source.pod_name).toBe("frontend-1");
    expect(obj.flow.l4.TCP.destination_port).toBe(8080);
    expect(obj.flow.extensions).toEqual({
      "@type": "type.googleapis.com/flowlens.FlowExtension",
      packets: "2",
      bytes: "120",
      comm: "curl",
    });
    expect(fromJson(GetFlowsResponseSchema, obj, { registry }).nodeName).toBe("node-a");
  });
});

describe("events", () => {
  it("words node status like Hubble", () => {
    const s = create(NodeStatusEventSchema, { stateChange: NodeState.NODE_UNAVAILABLE, nodeNames: ["a", "b"] });
    const res = create(GetFlowsResponseSchema, { nodeName: "relay", time, responseTypes: { case: "nodeStatus", value: s } });
    expect(formatNodeStatus(res, s)).toBe("Nov 26 06:30:01.123 [relay]: 2 nodes are unavailable: a, b");
  });
  it("cuts long node lists", () => {
    const names = Array.from({ length: 20 }, (_, i) => `node-${i}`);
    expect(joinWithCutOff(names, ", ")).toMatch(/\(and \d+ more\)$/);
  });
  it("prints lost events", () => {
    const res = create(GetFlowsResponseSchema, {
      nodeName: "node-a",
      time,
      responseTypes: { case: "lostEvents", value: { source: LostEventSource.HUBBLE_RING_BUFFER, numEventsLost: 42n, cpu: 3 } },
    });
    expect(formatLostEvent(res, res.responseTypes.value as never)).toBe(
      "Nov 26 06:30:01.123 [node-a]: EVENTS LOST: HUBBLE_RING_BUFFER CPU(03) 42",
    );
  });
});

describe("createPrinter", () => {
  const run = (format: "compact" | "dict" | "json" | "table", debug = false) => {
    const out: string[] = [];
    const err: string[] = [];
    const p = createPrinter({ format, debug, write: (t) => out.push(t), writeErr: (t) => err.push(t) });
    p.write(response());
    p.write(
      create(GetFlowsResponseSchema, {
        nodeName: "relay",
        time,
        responseTypes: { case: "nodeStatus", value: { stateChange: NodeState.NODE_CONNECTED, nodeNames: ["a"] } },
      }),
    );
    p.write(response(policyDrop));
    p.flush();
    return { out: out.join(""), err: err.join("") };
  };
  it("compact writes one line per flow and hides informational node status", () => {
    const { out, err } = run("compact");
    expect(out.trimEnd().split("\n")).toHaveLength(2);
    expect(err).toBe("");
  });
  it("shows node status on stderr with --debug", () => {
    expect(run("compact", true).err).toBe("Nov 26 06:30:01.123 [relay]: Receiving flows from 1 nodes: a\n");
  });
  it("dict separates blocks", () => {
    expect(run("dict").out.split("------------\n")).toHaveLength(2);
  });
  it("json writes parseable lines", () => {
    const lines = run("json").out.trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l).flow.verdict)).toEqual(["FORWARDED", "DROPPED"]);
  });
  it("table writes a header and rows on flush", () => {
    const lines = run("table").out.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]?.startsWith("TIMESTAMP")).toBe(true);
  });
});
