// Self-test of the pod harness: two real pods, v4 + v6 reachability, HTTP/UDP/TCP helpers, complete cleanup.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createPods, leftovers, type Pods } from "./pods.js";
import {
  connectRefused,
  curlGet,
  hostForUrl,
  iperfClient,
  ping,
  sendTcpBytes,
  startHttpServer,
  startIperfServer,
  startTcpSink,
  startUdpEcho,
  udpQuery,
} from "./traffic.js";

const PREFIX = "flhs";

describe("pod harness", () => {
  let pods: Pods;

  beforeAll(async () => {
    pods = await createPods({
      prefix: PREFIX,
      subnet: "10.201.7.0/24",
      pods: [
        { name: "client", namespace: "default", labels: { app: "client" } },
        {
          name: "server",
          namespace: "shop",
          labels: { app: "server", tier: "api" },
        },
      ],
    });
  });
  afterAll(async () => {
    await pods?.destroy();
  });

  it("plans names and addresses from the prefix and subnet", () => {
    const [client, server] = pods.pods;
    expect(client).toMatchObject({
      netns: "flhs-client",
      hostIf: "flhsv0",
      ipv4: "10.201.7.10",
      ipv6: "fd00:201:7::10",
    });
    expect(server).toMatchObject({
      netns: "flhs-server",
      hostIf: "flhsv1",
      ipv4: "10.201.7.11",
      ipv6: "fd00:201:7::11",
    });
    expect(client.ifindex).toBeGreaterThan(0);
    expect(pods.bridge).toBe("flhs-br0");
  });

  it("writes the collector's endpoints file", () => {
    const doc = parse(readFileSync(pods.endpointsFile, "utf8"));
    expect(doc.endpoints).toEqual([
      {
        name: "client",
        namespace: "default",
        labels: { app: "client" },
        netns: "flhs-client",
        interface: "flhsv0",
        ips: ["10.201.7.10", "fd00:201:7::10"],
      },
      {
        name: "server",
        namespace: "shop",
        labels: { app: "server", tier: "api" },
        netns: "flhs-server",
        interface: "flhsv1",
        ips: ["10.201.7.11", "fd00:201:7::11"],
      },
    ]);
  });

  it("pings between pods over IPv4 and IPv6, and the host on the bridge", async () => {
    const server = pods.pod("server");
    expect(await ping(pods, "client", server.ipv4, 2)).toBe(2);
    expect(await ping(pods, "client", server.ipv6, 2)).toBe(2);
    expect(await ping(pods, "client", pods.hostIpv4)).toBe(1);
    expect(await ping(pods, "client", pods.hostIpv6)).toBe(1);
  });

  it("serves HTTP, UDP echo, TCP bytes and iperf3 between pods; refused ports refuse", async () => {
    const server = pods.pod("server");
    const http = await startHttpServer(pods, server, 8080);
    for (const ip of [server.ipv4, server.ipv6]) {
      const res = await curlGet(pods, "client", `http://${hostForUrl(ip)}:8080/hello`);
      expect(res).toEqual({
        status: 200,
        body: "flowlens test server: GET /hello\n",
      });
    }
    await http.kill();

    await startUdpEcho(pods, server, 5353);
    expect(await udpQuery(pods, "client", server.ipv4, 5353, "ping-v4")).toBe("ping-v4");
    expect(await udpQuery(pods, "client", server.ipv6, 5353, "ping-v6")).toBe("ping-v6");

    const sink = await startTcpSink(pods, server, 5432);
    await sendTcpBytes(pods, "client", server.ipv4, 5432, 100_000);
    expect(sink.output()).toContain("received 100000");

    await connectRefused(pods, "client", server.ipv4, 9);

    await startIperfServer(pods, server, 5201);
    const result = await iperfClient(pods, "client", server.ipv4, {
      bytes: 1_000_000,
    });
    expect(result.bytes).toBeGreaterThanOrEqual(1_000_000);
  });

  it("runs commands in the pod's netns", async () => {
    const r = await pods.exec("server", ["ip", "-o", "-4", "addr", "show", "dev", "eth0"]);
    expect(r.stdout).toContain("10.201.7.11/24");
    await expect(pods.exec("server", ["false"])).rejects.toThrow(/exit 1/);
  });

  it("destroy() removes every netns, link and process, and is safe twice", async () => {
    const sleeper = pods.spawn("client", ["sleep", "300"]);
    await pods.destroy();
    await pods.destroy();
    expect(await leftovers(PREFIX)).toEqual([]);
    expect(sleeper.process.exitCode !== null || sleeper.process.signalCode !== null).toBe(true);
  });
});
