// The collector on real pods: real eBPF in the real kernel, real traffic, read back over the
// Observer gRPC API exactly as Hubble clients read it.
import { DropReason, type Flow, FlowEvent, IPVersion, TrafficDirection, Verdict } from "@flowlens/proto";
import type { Collector } from "@flowlens/test-harness/collector";
import { ext, flowsOf, observerClient, ports, waitForFlows } from "@flowlens/test-harness/observer";
import type { Pods } from "@flowlens/test-harness/pods";
import { waitFor } from "@flowlens/test-harness/run";
import { podsWithCollector } from "@flowlens/test-harness/suite";
import {
  curlGet,
  hostForUrl,
  ping,
  sendTcpBytes,
  startHttpServer,
  startTcpSink,
  startUdpEcho,
  tcpConnect,
  udpQuery,
} from "@flowlens/test-harness/traffic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let pods: Pods;
let collector: Collector;
let client: ReturnType<typeof observerClient>;

beforeAll(async () => {
  ({ pods, collector } = await podsWithCollector(
    {
      prefix: "e2f",
      pods: [
        { name: "client", namespace: "default", labels: { app: "client", tier: "web" } },
        { name: "server", namespace: "default", labels: { app: "server", tier: "api" } },
        { name: "store", namespace: "shop", labels: { app: "store" } },
      ],
    },
    ["--flow-idle-timeout", "3s", "--buffer-size", "65535"],
  ));
  await startHttpServer(pods, "server", 8080);
  await startUdpEcho(pods, "server", 5353);
  await startTcpSink(pods, "store", 5432);

  client = observerClient(collector.address);
});

afterAll(async () => {
  client?.close();
  await collector?.stop();
  await pods?.destroy();
});

/** All flows now in the live ring that match `pred`, waiting up to 5 s for at least `min` of them. */
async function flowsWhere(pred: (f: Flow) => boolean, min = 1): Promise<Flow[]> {
  let found: Flow[] = [];
  await waitFor(
    `${min} matching flows`,
    async () => {
      found = flowsOf(await client.getFlows({})).filter(pred);
      return found.length >= min;
    },
    5000,
  );
  return found;
}

const between = (f: Flow, a: string, b: string) =>
  (f.IP?.source === a && f.IP?.destination === b) || (f.IP?.source === b && f.IP?.destination === a);

const tcpFlags = (f: Flow) => (f.l4?.protocol.case === "TCP" ? f.l4.protocol.value.flags : undefined);

describe("TCP between pods", () => {
  let conn: Flow[];
  beforeAll(async () => {
    const c = pods.pod("client");
    const s = pods.pod("server");
    expect((await curlGet(pods, c, `http://${s.ipv4}:8080/`)).status).toBe(200);
    conn = await flowsWhere((f) => between(f, c.ipv4, s.ipv4) && ports(f)?.includes(8080) === true, 8);
  });

  it("reports the SYN leaving the client with both endpoints, labels and egress direction", () => {
    const c = pods.pod("client");
    const syn = conn.find((f) => tcpFlags(f)?.SYN && !tcpFlags(f)?.ACK && f.interface?.name === c.hostIf);
    expect(syn).toBeDefined();
    expect(syn?.verdict).toBe(Verdict.FORWARDED);
    expect(syn?.IP?.source).toBe(c.ipv4);
    expect(syn?.IP?.ipVersion).toBe(IPVersion.IPv4);
    expect(ports(syn as Flow)?.[1]).toBe(8080);
    expect(syn?.source?.podName).toBe("client");
    expect(syn?.source?.namespace).toBe("default");
    expect(syn?.source?.labels).toContain("app=client");
    expect(syn?.destination?.podName).toBe("server");
    expect(syn?.destination?.labels).toContain("tier=api");
    expect(syn?.source?.identity).toBeGreaterThanOrEqual(256);
    expect(syn?.trafficDirection).toBe(TrafficDirection.EGRESS);
    expect(syn?.isReply).toBe(false);
    expect(syn?.nodeName).not.toBe("");
    expect(ext(syn as Flow)?.comm).toBe("curl");
  });

  it("reports the same SYN arriving at the server as ingress", () => {
    const s = pods.pod("server");
    const syn = conn.find((f) => tcpFlags(f)?.SYN && !tcpFlags(f)?.ACK && f.interface?.name === s.hostIf);
    expect(syn?.trafficDirection).toBe(TrafficDirection.INGRESS);
    expect(syn?.isReply).toBe(false);
  });

  it("marks the SYN-ACK as a reply with the handshake RTT, and sees FIN both ways", () => {
    const synack = conn.find((f) => tcpFlags(f)?.SYN && tcpFlags(f)?.ACK);
    expect(synack?.isReply).toBe(true);
    expect(synack?.IP?.source).toBe(pods.pod("server").ipv4);
    expect(Number(ext(synack as Flow)?.handshakeRttNs)).toBeGreaterThan(0);
    const fins = conn.filter((f) => tcpFlags(f)?.FIN);
    expect(new Set(fins.map((f) => f.IP?.source))).toEqual(new Set([pods.pod("client").ipv4, pods.pod("server").ipv4]));
  });

  it("counts bytes within a few percent of what was sent", async () => {
    const c = pods.pod("client");
    const st = pods.pod("store");
    const sent = 2_000_000;
    await sendTcpBytes(pods, c, st.ipv4, 5432, sent);
    const [end] = await flowsWhere(
      (f) => f.IP?.source === c.ipv4 && f.IP?.destination === st.ipv4 && f.interface?.name === c.hostIf && tcpFlags(f)?.FIN === true,
    );
    const bytes = Number(ext(end)?.bytes);
    // Counted at L2: headers add a little on top of the payload.
    expect(bytes).toBeGreaterThanOrEqual(sent);
    expect(bytes).toBeLessThan(sent * 1.05);
    expect(end.destination?.namespace).toBe("shop");
  });
});

describe("UDP, ICMP and IPv6", () => {
  it("sees a UDP query and its reply", async () => {
    const c = pods.pod("client");
    const s = pods.pod("server");
    expect(await udpQuery(pods, c, s.ipv4, 5353)).not.toBe("");
    const udp = (from: string) => flowsWhere((f) => f.l4?.protocol.case === "UDP" && f.IP?.source === from && between(f, c.ipv4, s.ipv4));
    const [q] = await udp(c.ipv4);
    const [r] = await udp(s.ipv4);
    expect(ports(q)?.[1]).toBe(5353);
    expect(q.isReply).toBe(false);
    expect(r.isReply).toBe(true);
  });

  it("sees ICMP echo request and reply", async () => {
    const c = pods.pod("client");
    const st = pods.pod("store");
    expect(await ping(pods, c, st.ipv4, 1)).toBe(1);
    const icmpType = (f: Flow) => (f.l4?.protocol.case === "ICMPv4" ? f.l4.protocol.value.type : -1);
    const [request] = await flowsWhere((f) => icmpType(f) === 8 && f.IP?.source === c.ipv4 && f.IP?.destination === st.ipv4);
    const [reply] = await flowsWhere((f) => icmpType(f) === 0 && f.IP?.source === st.ipv4 && f.IP?.destination === c.ipv4);
    expect(request.isReply).toBe(false);
    expect(reply.isReply).toBe(true);
    expect(reply.Summary).toBe("ICMPv4 EchoReply");
  });

  it("sees TCP over IPv6 between pods", async () => {
    const c = pods.pod("client");
    const s = pods.pod("server");
    expect((await curlGet(pods, c, `http://${hostForUrl(s.ipv6)}:8080/`)).status).toBe(200);
    const v6 = await flowsWhere((f) => f.IP?.ipVersion === IPVersion.IPv6 && between(f, c.ipv6, s.ipv6) && tcpFlags(f)?.SYN === true, 2);
    expect(new Set(v6.map((f) => f.source?.podName))).toEqual(new Set(["client", "server"]));
  });
});

describe("a refused connection", () => {
  it("shows the RST reply and the kernel drop with its reason", async () => {
    const c = pods.pod("client");
    const st = pods.pod("store");
    expect(await tcpConnect(pods, c, st.ipv4, 9999)).toBe("ECONNREFUSED");
    const rst = await flowsWhere((f) => f.IP?.source === st.ipv4 && ports(f)?.[0] === 9999 && tcpFlags(f)?.RST === true);
    expect(rst[0].isReply).toBe(true);
    const [drop] = await flowsWhere((f) => f.verdict === Verdict.DROPPED && ports(f)?.[1] === 9999);
    expect(drop.dropReasonDesc).toBe(DropReason.SOCKET_LOOKUP_FAILED);
    expect(ext(drop)?.kernelDropReasonName).toBe("NO_SOCKET");
    expect(drop.eventType?.type).toBe(1);
    expect(drop.source?.podName).toBe("client");
    expect(drop.destination?.podName).toBe("store");
  });
});

describe("a reused 5-tuple", () => {
  it("starts a new flow when a SYN follows the end of the old one on the same ports", async () => {
    const c = pods.pod("client");
    const st = pods.pod("store");
    const attempt = () =>
      pods.exec(c, ["curl", "-s", "--max-time", "2", "--local-port", "41234", `http://${st.ipv4}:9998/`], { allowFail: true });
    await attempt(); // refused: SYN, then RST ends both directions
    await attempt(); // the same tuple again
    const syns = await flowsWhere(
      (f) => f.interface?.name === c.hostIf && ports(f)?.[0] === 41234 && tcpFlags(f)?.SYN === true && !tcpFlags(f)?.ACK,
      2,
    );
    expect(syns.every((f) => (ext(f)?.flowEvents ?? []).includes(FlowEvent.NEW))).toBe(true);
    expect(syns.every((f) => Number(ext(f)?.packets) === 1)).toBe(true);
  });
});

describe("the Observer API", () => {
  it("applies Hubble filter semantics: whitelist OR, fields AND, minus blacklist", async () => {
    const c = pods.pod("client");
    await curlGet(pods, c, `http://${pods.pod("server").ipv4}:8080/`);
    await udpQuery(pods, c, pods.pod("server").ipv4, 5353);
    await ping(pods, c, pods.pod("server").ipv4, 1); // this test's own ICMP, not an earlier test's
    await flowsWhere((f) => f.l4?.protocol.case === "ICMPv4" && f.IP?.destination === pods.pod("server").ipv4);
    const all = flowsOf(await client.getFlows({}));
    const fromClientTcp = flowsOf(await client.getFlows({ whitelist: [{ sourcePod: ["default/client"], protocol: ["tcp"] }] }));
    expect(fromClientTcp.length).toBeGreaterThan(0);
    expect(fromClientTcp.every((f) => f.source?.podName === "client" && f.l4?.protocol.case === "TCP")).toBe(true);
    const orred = flowsOf(await client.getFlows({ whitelist: [{ protocol: ["udp"] }, { protocol: ["icmp"] }] }));
    // Hubble's "icmp" matches ICMPv4 and ICMPv6 (neighbour discovery shows up here too).
    const kinds = new Set(orred.map((f) => f.l4?.protocol.case));
    expect(kinds.has("UDP") && kinds.has("ICMPv4")).toBe(true);
    expect([...kinds].every((k) => k === "UDP" || k === "ICMPv4" || k === "ICMPv6")).toBe(true);
    const minus = flowsOf(
      await client.getFlows({ whitelist: [{ sourcePod: ["default/client"] }], blacklist: [{ destinationPort: ["8080"] }] }),
    );
    expect(minus.length).toBeGreaterThan(0);
    expect(minus.some((f) => ports(f)?.[1] === 8080)).toBe(false);
    expect(minus.length).toBeLessThan(all.length);
  });

  it("returns the last N, the first N, and honours since/until", async () => {
    // Pin the window with `until`: background traffic (IPv6 neighbour discovery) keeps arriving.
    const now = Date.now() - 200;
    const until = { seconds: BigInt(Math.floor(now / 1000)), nanos: (now % 1000) * 1e6 };
    const last = flowsOf(await client.getFlows({ number: 5n, until }));
    expect(last).toHaveLength(5);
    const all = flowsOf(await client.getFlows({ until }));
    expect(last.map((f) => f.uuid)).toEqual(all.slice(-5).map((f) => f.uuid));
    const first = flowsOf(await client.getFlows({ number: 3n, first: true, until }));
    expect(first.map((f) => f.uuid)).toEqual(all.slice(0, 3).map((f) => f.uuid));

    const mark = new Date();
    await waitFor("the clock to pass the mark", async () => Date.now() > mark.getTime());
    await curlGet(pods, pods.pod("client"), `http://${pods.pod("server").ipv4}:8080/after`);
    await flowsWhere((f) => (f.time?.seconds ?? 0n) * 1000n + BigInt(Math.floor((f.time?.nanos ?? 0) / 1e6)) > BigInt(mark.getTime()));
    const since = { seconds: BigInt(Math.floor(mark.getTime() / 1000)), nanos: (mark.getTime() % 1000) * 1e6 };
    const after = flowsOf(await client.getFlows({ since }));
    const before = flowsOf(await client.getFlows({ until: since }));
    const ms = (f: Flow) => Number(f.time?.seconds) * 1000 + (f.time?.nanos ?? 0) / 1e6;
    expect(after.length).toBeGreaterThan(0);
    expect(before.length).toBeGreaterThan(0);
    expect(after.every((f) => ms(f) >= mark.getTime())).toBe(true);
    expect(before.every((f) => ms(f) <= mark.getTime())).toBe(true);
  });

  // How soon (target under a second) is measured by bench/follow-latency.ts.
  it("follows new flows", async () => {
    const c = pods.pod("client");
    const s = pods.pod("server");
    let seen = false;
    const stream = client.follow({ whitelist: [{ destinationPort: ["8080"], sourcePod: ["default/client"] }] }, (r) => {
      if (r.responseTypes.case === "flow") seen = true;
    });
    await new Promise((r) => setTimeout(r, 200)); // the stream opening: nothing tells the reader when the server follows
    await curlGet(pods, c, `http://${s.ipv4}:8080/follow`);
    await waitFor("followed flow", async () => seen, 3000);
    stream.cancel();
  });

  it("reports status counters", async () => {
    const st = await client.status();
    expect(Number(st.maxFlows)).toBe(65535);
    expect(Number(st.numFlows)).toBeGreaterThan(0);
    expect(Number(st.seenFlows)).toBeGreaterThanOrEqual(Number(st.numFlows));
    expect(st.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("rejects an invalid filter with INVALID_ARGUMENT naming it", async () => {
    await expect(client.getFlows({ whitelist: [{ sourceIp: ["10.0.0.300/8"] }] })).rejects.toThrow(/source_ip|sourceIp|10\.0\.0\.300/);
  });

  it("ends idle flows with an END event carrying the final counters", async () => {
    const c = pods.pod("client");
    const s = pods.pod("server");
    const mark = Date.now();
    await udpQuery(pods, c, s.ipv4, 5353, "idle-end");
    const since = { seconds: BigInt(Math.floor(mark / 1000)), nanos: (mark % 1000) * 1e6 };
    const [query] = await waitForFlows(client, {
      since,
      whitelist: [{ sourceIp: [c.ipv4], destinationPort: ["5353"], protocol: ["udp"] }],
    });
    const port = String(ports(query)?.[0]);
    // This query's own flow (its source port) must end: idle timeout 3 s, sweep every 2 s.
    const [end] = await waitForFlows(
      client,
      { since, whitelist: [{ sourceIp: [c.ipv4], sourcePort: [port], destinationPort: ["5353"] }] },
      (f) => (ext(f)?.flowEvents ?? []).includes(FlowEvent.END),
      1,
      10_000,
    );
    expect(Number(ext(end)?.packets)).toBe(1);
    expect(Number(ext(end)?.bytes)).toBeGreaterThan("idle-end".length);
  });
});
