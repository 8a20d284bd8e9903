// Synthetic flows for the ingester suites: realistic fields, unique uuids, chosen times; encoded as Kafka records.
import { randomUUID } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Flow, FlowExtensionSchema, FlowSchema, FlowType, IPVersion, TrafficDirection, Verdict } from "@flowlens/proto";

export function syntheticFlow(i: number, timeMs = Date.now()): Flow {
  const a = `10.201.${(i >> 8) & 255}.${i & 255}`;
  const sport = 1024 + (i % 60000);
  return create(FlowSchema, {
    uuid: randomUUID(),
    time: timestampFromMs(timeMs),
    verdict: Verdict.FORWARDED,
    Type: FlowType.L3_L4,
    nodeName: "ingest-node",
    IP: { source: a, destination: "10.201.255.1", ipVersion: IPVersion.IPv4 },
    l4: { protocol: { case: "TCP", value: { sourcePort: sport, destinationPort: 8080, flags: { SYN: true } } } },
    source: { namespace: "shop", podName: `client-${i % 50}`, labels: ["k8s:app=client"], identity: 1001 },
    destination: { namespace: "shop", podName: "server-0", labels: ["k8s:app=server"], identity: 1002 },
    trafficDirection: TrafficDirection.EGRESS,
    isReply: false,
    interface: { name: "veth-ing0", index: 7 },
    extensions: anyPack(FlowExtensionSchema, create(FlowExtensionSchema, { packets: 3n, bytes: 180n })),
  });
}

/** One Kafka record per flow, keyed by the connection like the relay keys them. */
export function flowRecord(f: Flow): { key: string; value: Buffer } {
  return { key: `${f.IP?.source}|${f.IP?.destination}`, value: Buffer.from(toBinary(FlowSchema, f)) };
}
