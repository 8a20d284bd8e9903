// Realistic flows for tests and benchmarks: a TCP connection's records as the collector emits them.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  DropReason,
  type Flow,
  FlowEvent,
  FlowSchema,
  FlowType,
  IPVersion,
  setFlowExtension,
  TraceObservationPoint,
  TrafficDirection,
  Verdict,
} from "@flowlens/proto";

export interface TestFlowOptions {
  uuid: string;
  timeMs: number;
  srcPod?: string;
  dstPod?: string;
  srcNamespace?: string;
  dstNamespace?: string;
  dstPort?: number;
  srcPort?: number;
  verdict?: Verdict;
  reply?: boolean;
  events?: FlowEvent[];
  bytes?: number;
  packets?: number;
}

// "frontend-7d9f" → "frontend": the app label a pod of that name would carry
function appOf(pod: string): string {
  return pod.split("-")[0];
}

/** One L3/L4 TCP flow with endpoints, labels and a FlowExtension, like the collector's. */
export function testFlow(o: TestFlowOptions): Flow {
  const reply = o.reply ?? false;
  const dropped = o.verdict === Verdict.DROPPED;
  const flow = create(FlowSchema, {
    time: timestampFromMs(o.timeMs),
    uuid: o.uuid,
    verdict: o.verdict ?? Verdict.FORWARDED,
    dropReasonDesc: dropped ? DropReason.POLICY_DENIED : DropReason.DROP_REASON_UNKNOWN,
    Type: FlowType.L3_L4,
    nodeName: "node-a",
    IP: { source: "10.99.0.2", destination: "10.99.0.3", ipVersion: IPVersion.IPv4 },
    l4: {
      protocol: {
        case: "TCP",
        value: { sourcePort: o.srcPort ?? 40000, destinationPort: o.dstPort ?? 8080, flags: { SYN: true, ACK: reply } },
      },
    },
    source: {
      identity: 1001,
      namespace: o.srcNamespace ?? "default",
      podName: o.srcPod ?? "frontend-7d9f",
      labels: [`k8s:app=${appOf(o.srcPod ?? "frontend-7d9f")}`, "k8s:tier=web"],
    },
    destination: {
      identity: 1002,
      namespace: o.dstNamespace ?? "default",
      podName: o.dstPod ?? "backend-5c4b",
      labels: [`k8s:app=${appOf(o.dstPod ?? "backend-5c4b")}`],
    },
    trafficDirection: TrafficDirection.EGRESS,
    traceObservationPoint: TraceObservationPoint.FROM_ENDPOINT,
    isReply: reply,
    interface: { index: 7, name: "lxc-frontend" },
  });
  return setFlowExtension(flow, {
    packets: BigInt(o.packets ?? 10),
    bytes: BigInt(o.bytes ?? 1500),
    handshakeRttNs: 120_000n,
    flowEvents: o.events ?? [FlowEvent.NEW],
    pid: 4242,
    comm: "curl",
  });
}
