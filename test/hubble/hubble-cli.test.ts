// The real `hubble` CLI (cilium v1.20.2, built from the Go module proxy) against a Flowlens collector on
// real pods: observe in every output format, server-side filters, status and list, and the same flows as
// `flowlens observe`.

import { type Collector, runCli, startCollector } from "@flowlens/test-harness/collector";
import { flowsOf, observerClient, ports } from "@flowlens/test-harness/observer";
import { createPods, type Pods, type Spawned, spawnBackground } from "@flowlens/test-harness/pods";
import { sleep, waitFor } from "@flowlens/test-harness/run";
import { curlGet, ping, startHttpServer, tcpConnect } from "@flowlens/test-harness/traffic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hubbleOk, jsonLines, requireHubble, runHubble } from "./hubble.js";

/** The parts of a flow in proto3 JSON (proto field names) that these tests read. */
interface JsonFlow {
  uuid: string;
  time: string;
  verdict: string;
  drop_reason_desc?: string;
  IP?: { source: string; destination: string; ipVersion: string };
  l4?: {
    TCP?: { source_port?: number; destination_port?: number; flags?: Record<string, boolean> };
    ICMPv4?: { type?: number; code?: number };
  };
  source?: { pod_name?: string; namespace?: string; labels?: string[]; identity?: number };
  destination?: { pod_name?: string; namespace?: string; labels?: string[]; identity?: number };
  Type: string;
  node_name: string;
  traffic_direction?: string;
  is_reply?: boolean;
  [key: string]: unknown;
}

/** Keys only Flowlens prints: Hubble cannot decode our extension, so it must not appear in hubble's output. */
const FLOWLENS_ONLY_KEYS = new Set(["extensions"]);

let pods: Pods;
let collector: Collector;
let client: ReturnType<typeof observerClient>;
let server: string;

const flowsOfJson = (out: string): JsonFlow[] => jsonLines(out).flatMap((r) => (r.flow ? [r.flow as JsonFlow] : []));
const tcp = (f: JsonFlow) => f.l4?.TCP;

beforeAll(async () => {
  pods = await createPods({
    prefix: "e2h",
    pods: [
      { name: "client", namespace: "default", labels: { app: "client" } },
      { name: "server", namespace: "default", labels: { app: "server" } },
    ],
  });
  await startHttpServer(pods, "server", 8080);
  collector = await startCollector(["--endpoints", pods.endpointsFile, "--metrics-address", "", "--flow-idle-timeout", "3s"]);
  server = collector.address;
  client = observerClient(server);
  await waitFor("collector attached", async () => collector.output().includes("serving"), 20_000);

  const c = pods.pod("client");
  const s = pods.pod("server");
  expect((await curlGet(pods, c, `http://${s.ipv4}:8080/`)).status).toBe(200);
  expect(await ping(pods, c, s.ipv4, 1)).toBe(1);
  expect(await tcpConnect(pods, c, s.ipv4, 9999)).toBe("ECONNREFUSED");
  // Wait until the ring holds the handshake, the echo reply and the kernel drop.
  await waitFor(
    "HTTP, ICMP and drop flows",
    async () => {
      const fs = flowsOf(await client.getFlows({}));
      return (
        fs.some((f) => ports(f)?.[1] === 8080) &&
        fs.some((f) => f.l4?.protocol.case === "ICMPv4" && f.isReply) &&
        fs.some((f) => f.verdict === 2 && ports(f)?.[1] === 9999)
      );
    },
    10_000,
  );
});

afterAll(async () => {
  client?.close();
  await collector?.stop();
  await pods?.destroy();
});

// Each test runs hubble through requireHubble(): without the binary every test fails with the install hint.
describe("hubble observe", () => {
  it("prints the pods' TCP handshake, refused port, drop and ping in compact form", async () => {
    const out = await hubbleOk(["observe", "--server", server, "--last", "50", "-o", "compact"]);
    const id = String.raw`\(ID:\d+\)`;
    expect(out).toMatch(
      new RegExp(String.raw`default/client:\d+ ${id} -> default/server:8080 ${id} from-endpoint FORWARDED \(TCP Flags: SYN\)`),
    );
    expect(out).toMatch(
      new RegExp(String.raw`default/client:\d+ ${id} <- default/server:8080 ${id} to-endpoint FORWARDED \(TCP Flags: SYN, ACK\)`),
    );
    expect(out).toMatch(
      new RegExp(String.raw`default/client:\d+ ${id} <- default/server:9999 ${id} \S+ FORWARDED \(TCP Flags: ACK, RST\)`),
    );
    expect(out).toMatch(new RegExp(String.raw`default/client:\d+ ${id} .. default/server:9999 ${id} .* DROPPED`));
    expect(out).toMatch(new RegExp(String.raw`default/client ${id} -> default/server ${id} \S+ FORWARDED`));
  });

  it("prints flows as proto3 JSON with pods, IPs, ports, flags, direction and verdicts", async () => {
    const c = pods.pod("client");
    const s = pods.pod("server");
    const flows = flowsOfJson(await hubbleOk(["observe", "--server", server, "--last", "50", "-o", "json"]));
    expect(flows.length).toBeGreaterThan(10);
    const syn = flows.find((f) => tcp(f)?.destination_port === 8080 && tcp(f)?.flags?.SYN && !tcp(f)?.flags?.ACK);
    expect(syn?.IP).toEqual({ source: c.ipv4, destination: s.ipv4, ipVersion: "IPv4" });
    expect(syn?.verdict).toBe("FORWARDED");
    expect(syn?.Type).toBe("L3_L4");
    expect(syn?.is_reply).toBe(false);
    expect(syn?.source).toMatchObject({ pod_name: "client", namespace: "default" });
    expect(syn?.source?.labels).toContain("app=client");
    expect(syn?.destination).toMatchObject({ pod_name: "server", namespace: "default" });
    expect(syn?.node_name).not.toBe("");
    expect(
      new Set(flows.filter((f) => f === syn || (tcp(f)?.destination_port === 8080 && tcp(f)?.flags?.SYN)).map((f) => f.traffic_direction)),
    ).toEqual(new Set(["EGRESS", "INGRESS"]));
    const synAck = flows.find((f) => tcp(f)?.source_port === 8080 && tcp(f)?.flags?.SYN && tcp(f)?.flags?.ACK);
    expect(synAck?.is_reply).toBe(true);
    expect(synAck?.IP?.source).toBe(s.ipv4);
    const rst = flows.find((f) => tcp(f)?.source_port === 9999 && tcp(f)?.flags?.RST);
    expect(rst?.is_reply).toBe(true);
    const drop = flows.find((f) => f.verdict === "DROPPED");
    expect(tcp(drop as JsonFlow)?.destination_port).toBe(9999);
    expect(drop?.drop_reason_desc).toBe("SOCKET_LOOKUP_FAILED");
    // proto3 JSON omits zero values: the echo reply's ICMP type 0 shows as an absent field.
    const icmp = flows.filter((f) => f.l4?.ICMPv4 && f.IP?.source !== undefined && [c.ipv4, s.ipv4].includes(f.IP.source));
    expect(new Set(icmp.map((f) => f.l4?.ICMPv4?.type ?? 0))).toEqual(new Set([8, 0]));
  });

  it("sends --from-pod and --protocol to the server, which returns only the client's TCP flows", async () => {
    const filter = ["--from-pod", "default/client", "--protocol", "tcp"];
    const raw = await hubbleOk(["observe", "--server", server, ...filter, "--print-raw-filters"]);
    expect(raw).toContain('{"source_pod":["default/client"],"protocol":["tcp"]}');
    const flows = flowsOfJson(await hubbleOk(["observe", "--server", server, "--last", "50", ...filter, "-o", "json"]));
    expect(flows.length).toBeGreaterThan(0);
    expect(flows.every((f) => f.source?.pod_name === "client" && f.source.namespace === "default" && tcp(f) !== undefined)).toBe(true);
    const dports = new Set(flows.map((f) => tcp(f)?.destination_port));
    expect(dports.has(8080) && dports.has(9999)).toBe(true);
  });

  it("returns only drops for --verdict DROPPED", async () => {
    const flows = flowsOfJson(await hubbleOk(["observe", "--server", server, "--last", "50", "--verdict", "DROPPED", "-o", "json"]));
    expect(flows.length).toBeGreaterThan(0);
    expect(flows.every((f) => f.verdict === "DROPPED")).toBe(true);
    expect(
      flows.some((f) => f.source?.pod_name === "client" && f.destination?.pod_name === "server" && tcp(f)?.destination_port === 9999),
    ).toBe(true);
  });

  it("prints the same flows as flowlens observe -o json (same uuids, same fields)", async () => {
    // A fixed --until makes both clients read the same window of the ring.
    await sleep(300);
    const until = new Date(Date.now() - 200).toISOString();
    const args = ["--server", server, "--last", "50", "--until", until, "-o", "json"];
    const fromHubble = flowsOfJson(await hubbleOk(["observe", ...args]));
    const fl = await runCli(["observe", ...args]);
    expect(fl.stderr).toBe("");
    const fromFlowlens = flowsOfJson(fl.stdout);
    // The traffic above makes about 20 flows: handshake and FIN both ways, ping, refused port, drop.
    expect(fromHubble.length).toBeGreaterThanOrEqual(12);
    expect(fromHubble.some((f) => f.verdict === "DROPPED") && fromHubble.some((f) => tcp(f)?.destination_port === 8080)).toBe(true);
    expect(fromHubble.map((f) => f.uuid)).toEqual(fromFlowlens.map((f) => f.uuid));
    for (const [i, h] of fromHubble.entries()) {
      const f = fromFlowlens[i];
      for (const key of Object.keys(f))
        if (!FLOWLENS_ONLY_KEYS.has(key)) expect({ uuid: h.uuid, key, value: h[key] }).toEqual({ uuid: h.uuid, key, value: f[key] });
      for (const key of Object.keys(h)) expect(f, `flowlens lacks ${key} that hubble printed`).toHaveProperty(key);
    }
  });

  it("follows new flows as they happen", async () => {
    let follow: Spawned | undefined;
    try {
      follow = spawnBackground([requireHubble(), "observe", "--server", server, "-f", "--to-port", "8080", "-o", "compact"]);
      await sleep(500); // let the stream open before the traffic
      const c = pods.pod("client");
      expect((await curlGet(pods, c, `http://${pods.pod("server").ipv4}:8080/`)).status).toBe(200);
      await waitFor("a followed SYN", async () => / -> default\/server:8080 .*\(TCP Flags: SYN\)/.test(follow?.output() ?? ""), 5000);
    } finally {
      await follow?.kill();
    }
  });
});

describe("hubble status and list", () => {
  it("reports the server healthy with its flow counts", async () => {
    const out = await hubbleOk(["status", "--server", server]);
    expect(out).toContain(`Healthcheck (via ${server}): Ok`);
    expect(out).toMatch(/Current\/Max Flows: [\d,]+\/4,095 \(/);
    expect(out).toMatch(/Flows\/s: \d/);
  });

  it("lists the node and the pods' namespace", async () => {
    const nodeName = flowsOf(await client.getFlows({ number: 1n }))[0]?.nodeName;
    expect(nodeName).toBeTruthy();
    const nodes = JSON.parse(await hubbleOk(["list", "nodes", "--server", server, "-o", "json"])) as { name: string; state: string }[];
    expect(nodes).toEqual([expect.objectContaining({ name: nodeName, state: "NODE_CONNECTED" })]);
    expect(await hubbleOk(["list", "nodes", "--server", server])).toMatch(new RegExp(`${nodeName}\\s+Connected`));
    const ns = await hubbleOk(["list", "namespaces", "--server", server]);
    expect(ns.split("\n").map((l) => l.trim())).toContain("default");
  });

  it("fails with hubble's connection error on a closed port", async () => {
    const r = await runHubble(["status", "--server", "127.0.0.1:1", "--timeout", "2s"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/connection refused|Unavailable/);
  });
});
