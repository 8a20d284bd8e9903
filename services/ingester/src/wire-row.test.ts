// The fast path (rows read straight from the protobuf bytes) against protobuf-es + flowToRow: the same
// row for a corpus of varied flows, and the same outcome (row or dead-letter reason) for thousands of
// damaged records.
import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { flowToRow } from "@flowlens/clickhouse";
import { FlowExtensionSchema, FlowSchema, GetFlowsRequestExtensionSchema, setFlowExtension } from "@flowlens/proto";
import { describe, expect, it } from "vitest";
import { decodeRecord, type RecordTsvRow, recordToTsvRow } from "./record.js";
import { tsvRow } from "./tsv-rows.js";
import { wireRow } from "./wire-row.js";

/** A small deterministic PRNG (mulberry32), so a failure can be reproduced. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const maybe = (p = 0.5) => next() < p;
  return { next, int, pick, maybe };
}

const uuid = (r: ReturnType<typeof rng>) =>
  "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, (c) => (c === "x" ? r.int(16) : 8 + r.int(4)).toString(16));
const STRINGS = [
  "",
  "web",
  "default",
  "kube-system",
  "ünïcode-pod",
  "tab\there",
  "new\nline",
  "quote'd",
  "back\\slash",
  "日本語",
  "x".repeat(80),
];
const LABELS = [
  "k8s:app=web",
  "k8s:app.kubernetes.io/name=api",
  "reserved:host",
  "k8s:tier=fe'nd",
  "app=db",
  "k8s:io.kubernetes.pod.namespace=shop",
];

type FlowInit = MessageInitShape<typeof FlowSchema>;

function endpoint(r: ReturnType<typeof rng>) {
  return {
    ID: r.int(5000),
    identity: r.pick([0, 1, 2, 256, 16777215, 12345]),
    clusterName: r.maybe(0.2) ? "c1" : "",
    namespace: r.pick(STRINGS),
    labels: Array.from({ length: r.int(4) }, () => r.pick(LABELS)),
    podName: r.pick(STRINGS),
    workloads: r.maybe(0.3) ? Array.from({ length: 1 + r.int(2) }, () => ({ name: r.pick(STRINGS), kind: "Deployment" })) : [],
  };
}

function randomFlow(r: ReturnType<typeof rng>): Uint8Array {
  const v6 = r.maybe(0.3);
  const ip = () => (v6 ? `fd00::${r.int(65536).toString(16)}` : `10.${r.int(256)}.${r.int(256)}.${r.int(256)}`);
  const l4: FlowInit["l4"] = r.pick([
    undefined,
    {},
    {
      protocol: {
        case: "TCP",
        value: {
          sourcePort: r.int(65536),
          destinationPort: r.int(65536),
          flags: r.maybe(0.8)
            ? {
                SYN: r.maybe(),
                ACK: r.maybe(),
                FIN: r.maybe(),
                RST: r.maybe(),
                PSH: r.maybe(),
                URG: r.maybe(),
                ECE: r.maybe(),
                CWR: r.maybe(),
                NS: r.maybe(),
              }
            : undefined,
        },
      },
    },
    { protocol: { case: "UDP", value: { sourcePort: r.int(65536), destinationPort: 53 } } },
    { protocol: { case: "SCTP", value: { sourcePort: 1, destinationPort: 2 } } },
    { protocol: { case: "ICMPv4", value: { type: r.int(256), code: r.int(16) } } },
    { protocol: { case: "ICMPv6", value: { type: 128, code: 0 } } },
  ] as FlowInit["l4"][]);
  const l7: FlowInit["l7"] = r.pick([
    undefined,
    { type: 1, latencyNs: BigInt(r.int(1e9)) },
    {
      type: 2,
      record: {
        case: "http",
        value: { code: 200, method: "GET", url: "http://x/a?b=c\td", protocol: "HTTP/1.1", headers: [{ key: "a", value: "b" }] },
      },
    },
    { type: 1, record: { case: "dns", value: { query: "example.com.", rcode: 3, qtypes: ["A", "AAAA"], ips: ["1.2.3.4"], ttl: 30 } } },
    { type: 3, latencyNs: 12n, record: { case: "kafka", value: { apiKey: "produce", topic: "flows", errorCode: -1, apiVersion: 7 } } },
  ] as FlowInit["l7"][]);
  const f = create(FlowSchema, {
    time: { seconds: BigInt(1_700_000_000 + r.int(100_000_000)), nanos: r.int(1_000_000_000) },
    uuid: uuid(r),
    verdict: r.pick([0, 1, 2, 3, 5, 99]),
    dropReason: r.int(3),
    ethernet: r.maybe(0.2) ? { source: "aa:bb:cc:dd:ee:ff", destination: "11:22:33:44:55:66" } : undefined,
    IP: r.maybe(0.9) ? { source: ip(), destination: ip(), ipVersion: v6 ? 2 : 1, encrypted: r.maybe(0.1) } : undefined,
    l4,
    source: r.maybe(0.9) ? endpoint(r) : undefined,
    destination: r.maybe(0.9) ? endpoint(r) : undefined,
    Type: r.pick([0, 1, 2, 3]),
    nodeName: r.pick(["node-1", "", "ñode"]),
    nodeLabels: r.maybe(0.2) ? ["a=b"] : [],
    sourceNames: r.maybe(0.1) ? ["a.example."] : [],
    l7,
    reply: r.maybe(0.1),
    eventType: r.maybe(0.5) ? { type: 4, subType: r.int(10) } : undefined,
    sourceService: r.maybe(0.1) ? { name: "svc", namespace: "ns" } : undefined,
    trafficDirection: r.int(3),
    policyMatchType: r.int(3),
    traceObservationPoint: r.pick([0, 1, 5, 101, 10, 11, 77]),
    traceReason: r.int(4),
    dropReasonDesc: r.pick([0, 0, 133, 181, 1000]),
    isReply: r.pick([undefined, true, false]),
    interface: r.maybe(0.7) ? { index: r.int(100), name: r.pick(["eth0", "flbp0", ""]) } : undefined,
    proxyPort: r.maybe(0.1) ? 15001 : 0,
    traceContext: r.maybe(0.1) ? { parent: { traceId: "abc" } } : undefined,
    socketCookie: BigInt(r.int(1e9)),
    cgroupId: BigInt(r.int(1e9)),
    Summary: r.pick(["", "TCP Flags: SYN", "UDP", "ünï"]),
    egressAllowedBy: r.maybe(0.1) ? [{ name: "p", namespace: "n", labels: ["a"], revision: 3n }] : [],
  });
  const ext = r.int(5);
  if (ext === 1 || ext === 2)
    setFlowExtension(f, {
      packets: r.maybe(0.1) ? 2n ** 60n + 12345n : BigInt(r.int(1e6)),
      bytes: BigInt(r.int(1e9)),
      firstSeen: { seconds: 1n, nanos: 2 },
      lastSeen: r.maybe() ? { seconds: 3n, nanos: 4 } : undefined,
      handshakeRttNs: BigInt(r.int(1e7)),
      retransmits: r.int(10),
      pid: r.int(1 << 22),
      comm: r.pick(["postgres", "", "cürl"]),
      flowEvents: Array.from({ length: r.int(4) }, () => r.int(7)),
      kernelDropReason: r.int(100),
      kernelDropReasonName: r.pick(["", "NO_SOCKET"]),
      tcpFlagsSeen: r.maybe() ? { SYN: true } : undefined,
    });
  else if (ext === 3)
    f.extensions = anyPack(GetFlowsRequestExtensionSchema, create(GetFlowsRequestExtensionSchema, { flowExtensions: true }));
  else if (ext === 4) f.extensions = { $typeName: "google.protobuf.Any", typeUrl: "", value: new Uint8Array([1, 2]) };
  return toBinary(FlowSchema, f);
}

/** What the ingester did before the fast path: protobuf-es, flowToRow, the TSV line. */
function reference(value: Buffer): RecordTsvRow {
  const d = decodeRecord(value);
  if (d.reason !== undefined) return { reason: d.reason };
  try {
    return { row: tsvRow(flowToRow(d.flow, value), value) };
  } catch (e) {
    return { reason: `cannot make a row of the flow: ${(e as Error).message}` };
  }
}

const outcome = (r: RecordTsvRow) =>
  r.reason !== undefined ? { reason: r.reason } : { line: r.row.line, uuid: r.row.uuid, time: r.row.time };

describe("rows read from the wire", () => {
  const r = rng(42);
  const corpus = Array.from({ length: 3000 }, () => Buffer.from(randomFlow(r)));

  it("equal flowToRow(fromBinary(bytes)) for a corpus of varied flows", () => {
    let fast = 0;
    for (const value of corpus) {
      const w = wireRow(value);
      expect(w, `fast path gave up on ${value.toString("base64")}`).toBeDefined();
      expect(w?.row).toEqual(flowToRow(decodeRecord(value).flow ?? create(FlowSchema), value));
      fast++;
    }
    expect(fast).toBe(corpus.length);
  });

  it("leave the record's outcome (row or dead-letter reason) unchanged, valid or damaged", () => {
    const m = rng(7);
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const value = Buffer.from(m.pick(corpus));
      for (let k = m.int(4); k > 0; k--) value[m.int(value.length)] = m.int(256); // 0-3 bytes changed
      const v = m.int(3) === 0 ? value.subarray(0, m.int(value.length)) : value; // a third truncated
      const want = reference(v);
      if (want.reason !== undefined) refused++;
      expect(outcome(recordToTsvRow(v)), v.toString("base64")).toEqual(outcome(want));
    }
    expect(refused).toBeGreaterThan(1000); // the damage did reach the refusal paths
  });

  it("give up on merges protobuf-es would do (a singular message twice) instead of guessing", () => {
    const one = Buffer.from(
      toBinary(FlowSchema, create(FlowSchema, { IP: { source: "10.0.0.1", destination: "10.0.0.2", ipVersion: 1 } })),
    );
    const two = Buffer.from(toBinary(FlowSchema, create(FlowSchema, { IP: { ipVersion: 1, destination: "10.0.0.3" } })));
    expect(wireRow(Buffer.concat([one, two]))).toBeUndefined();
    expect(wireRow(one)?.row.src_ip).toBe("10.0.0.1");
  });

  it("read the extension only when the Any holds a flowlens.FlowExtension", () => {
    const f = create(FlowSchema, {});
    f.extensions = anyPack(FlowExtensionSchema, create(FlowExtensionSchema, { packets: 5n, comm: "x" }));
    expect(wireRow(toBinary(FlowSchema, f))?.row).toMatchObject({ packets: 5, comm: "x" });
    f.extensions = { ...f.extensions, typeUrl: "type.googleapis.com/other.Type" };
    expect(wireRow(toBinary(FlowSchema, f))?.row).toMatchObject({ packets: 0, comm: "" });
  });
});
