// `flowlens observe` against the real collector on real pods: what users type, what they read.

import { CLI_BIN, type Collector, runCli } from "@flowlens/test-harness/collector";
import { observerClient, waitForFlows } from "@flowlens/test-harness/observer";
import { type Pods, spawnBackground } from "@flowlens/test-harness/pods";
import { sleep, waitFor } from "@flowlens/test-harness/run";
import { podsWithCollector } from "@flowlens/test-harness/suite";
import { curlGet, ping, startHttpServer, tcpConnect } from "@flowlens/test-harness/traffic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let pods: Pods;
let collector: Collector;

interface JsonFlow {
  uuid: string;
  verdict: string;
  IP: { source: string; destination: string };
  l4?: { TCP?: { source_port?: number; destination_port?: number; flags?: Record<string, boolean> }; ICMPv4?: unknown };
  source?: { pod_name?: string; namespace?: string; labels?: string[] };
  destination?: { pod_name?: string; namespace?: string };
  traffic_direction?: string;
  is_reply?: boolean;
  time: string;
}

const observe = async (...args: string[]) => {
  const r = await runCli(["observe", "--server", collector.address, "-o", "json", ...args]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { flow?: JsonFlow; node_name?: string; lost_events?: unknown });
};
const flows = async (...args: string[]) => (await observe(...args)).flatMap((r) => (r.flow ? [r.flow] : []));

beforeAll(async () => {
  ({ pods, collector } = await podsWithCollector({
    prefix: "e2o",
    pods: [
      { name: "web", namespace: "default", labels: { app: "web" } },
      { name: "api", namespace: "default", labels: { app: "api" } },
    ],
  }));
  await startHttpServer(pods, "api", 8080);
  const api = pods.pod("api");
  expect((await curlGet(pods, "web", `http://${api.ipv4}:8080/`)).status).toBe(200);
  expect(await ping(pods, "web", api.ipv4)).toBe(1);
  expect(await tcpConnect(pods, "web", api.ipv4, 9)).toBe("ECONNREFUSED");
  const c = observerClient(collector.address);
  await waitForFlows(c, { whitelist: [{ verdict: [2] }] });
  c.close();
});

afterAll(async () => {
  await collector?.stop();
  await pods?.destroy();
});

describe("flowlens observe", () => {
  it("prints one GetFlowsResponse per line in proto3 JSON with proto field names", async () => {
    const rs = await observe("--last", "5");
    expect(rs).toHaveLength(5);
    for (const r of rs) expect(r.node_name).toBeTruthy();
    expect(rs[0].flow?.uuid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("defaults to the last 20 flows", async () => {
    expect(await ping(pods, "api", pods.pod("web").ipv4, 3)).toBe(3);
    expect((await curlGet(pods, "web", `http://${pods.pod("api").ipv4}:8080/more`)).status).toBe(200);
    await waitFor("more than 20 flows", async () => (await flows("--all")).length > 20, 5000);
    expect(await flows()).toHaveLength(20);
  });

  it("filters by pod, port and protocol, ANDed inside one filter", async () => {
    const fs = await flows("--all", "--from-pod", "default/web", "--to-port", "8080", "--protocol", "tcp");
    expect(fs.length).toBeGreaterThan(0);
    for (const f of fs) {
      expect(f.source?.pod_name).toBe("web");
      expect(f.l4?.TCP?.destination_port).toBe(8080);
    }
  });

  it("filters by verdict and shows the kernel drop", async () => {
    const fs = await flows("--all", "--verdict", "DROPPED");
    expect(fs.length).toBeGreaterThan(0);
    expect(fs.every((f) => f.verdict === "DROPPED")).toBe(true);
    expect(fs.some((f) => f.l4?.TCP?.destination_port === 9)).toBe(true);
  });

  it("--not turns the next filter into a blacklist entry", async () => {
    const all = await flows("--all", "--from-pod", "default/web");
    const notTcp = await flows("--all", "--from-pod", "default/web", "--not", "--protocol", "tcp");
    expect(notTcp.length).toBeGreaterThan(0);
    expect(notTcp.length).toBeLessThan(all.length);
    expect(notTcp.some((f) => f.l4?.TCP)).toBe(false);
    expect(notTcp.some((f) => f.l4?.ICMPv4)).toBe(true);
  });

  it("filters by label selector and traffic direction", async () => {
    const fs = await flows("--all", "--label", "app=api", "--traffic-direction", "ingress");
    expect(fs.length).toBeGreaterThan(0);
    for (const f of fs) expect(f.traffic_direction).toBe("INGRESS");
  });

  it("filters by TCP flags", async () => {
    const fs = await flows("--all", "--tcp-flags", "SYN");
    expect(fs.length).toBeGreaterThan(0);
    expect(fs.every((f) => f.l4?.TCP?.flags?.SYN)).toBe(true);
    const rst = await flows("--all", "--tcp-flags", "RST");
    expect(rst.some((f) => f.l4?.TCP?.source_port === 9 && f.is_reply)).toBe(true);
  });

  it("honours --since and --until", async () => {
    await sleep(1100);
    const mark = new Date().toISOString();
    await waitFor("the clock to pass the mark", async () => Date.now() > Date.parse(mark));
    // A new connection (new source port) is a new flow; a repeated ping would only update counters.
    expect((await curlGet(pods, "web", `http://${pods.pod("api").ipv4}:8080/since`)).status).toBe(200);
    const after = await waitFor("flows since the mark", async () => {
      const f = await flows("--since", mark);
      return f.length > 0 && f;
    });
    const before = await flows("--until", mark, "--all");
    expect(after.length).toBeGreaterThan(0);
    // Compare instants, not strings: RFC 3339 fractions have varying lengths.
    const ms = (t: string) => Date.parse(t);
    expect(after.every((f) => ms(f.time) >= ms(mark))).toBe(true);
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((f) => ms(f.time) <= ms(mark))).toBe(true);
    expect(await flows("--since", "1h", "--until", "59m")).toHaveLength(0);
  });

  // How soon (target under 1.5 s, curl's own run included) is measured by bench/follow-latency.ts.
  it("follows new flows in compact format", async () => {
    const p = spawnBackground([
      "node",
      CLI_BIN,
      "observe",
      "--server",
      collector.address,
      "-f",
      "--to-pod",
      "default/api",
      "--to-port",
      "8080",
    ]);
    try {
      await sleep(1500); // node start-up and the stream opening
      await curlGet(pods, "web", `http://${pods.pod("api").ipv4}:8080/follow`);
      await waitFor("compact line", async () => /default\/web:\d+ .*-> default\/api:8080 .*FORWARDED/.test(p.output()), 3000);
    } finally {
      await p.kill();
    }
  });

  it.each([
    [["--from-ip", "10.0.0.300"], /10\.0\.0\.300/],
    [["--port", "abc"], /abc/],
    [["--verdict", "MAYBE"], /MAYBE/],
    [["-o", "yaml"], /yaml/],
    [["--since", "yesterday"], /yesterday/],
  ])("rejects %j with one line and exit 2", async (args, msg) => {
    const r = await runCli(["observe", "--server", collector.address, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(msg);
  });

  it("names an unreachable server in one line, exit 1", async () => {
    const r = await runCli(["observe", "--server", "127.0.0.1:1", "--timeout", "1s"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/127\.0\.0\.1:1/);
  });

  it("prints status, nodes and namespaces", async () => {
    const st = await runCli(["status", "--server", collector.address]);
    expect(st.stdout).toMatch(/Healthcheck .*Ok/);
    expect(st.stdout).toMatch(/Current\/Max Flows: [\d,]+\/4,095/);
    const nodes = await runCli(["list", "nodes", "--server", collector.address]);
    expect(nodes.code, nodes.stderr).toBe(0);
    expect(nodes.stdout).toMatch(/Connected/i);
    const ns = await runCli(["list", "namespaces", "--server", collector.address]);
    expect(ns.stdout).toMatch(/default/);
  });
});
