// `--interface` observes a host interface too (here the pods' bridge, where traffic to the host
// arrives), and the collector also serves on a unix socket.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TraceObservationPoint, TrafficDirection } from "@flowlens/proto";
import { COLLECTOR_BIN, type Collector, collectorState, runCli, startCollector } from "@flowlens/test-harness/collector";
import { observerClient, waitForFlows } from "@flowlens/test-harness/observer";
import { createPods, type Pods, spawnBackground } from "@flowlens/test-harness/pods";
import { waitFor } from "@flowlens/test-harness/run";
import { ping } from "@flowlens/test-harness/traffic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let pods: Pods;
let collector: Collector;
let dir: string;

beforeAll(async () => {
  pods = await createPods({ prefix: "e2i", pods: [{ name: "solo", namespace: "default", labels: { app: "solo" } }] });
  dir = mkdtempSync(join(tmpdir(), "flowlens-sock-"));
  // No endpoints: only the bridge is observed.
  collector = await startCollector(["--interface", pods.bridge, "--metrics-address", "", "--node-name", "test-node"]);
  await waitFor("collector attached", async () => collector.output().includes("serving"), 20_000);
});

afterAll(async () => {
  await collector?.stop();
  await pods?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("host interfaces", () => {
  it("reports traffic to the host seen on the bridge, from the network, with host and world identities", async () => {
    const solo = pods.pod("solo");
    expect(await ping(pods, solo, pods.hostIpv4)).toBe(1);
    const client = observerClient(collector.address);
    const [req] = await waitForFlows(client, { whitelist: [{ sourceIp: [solo.ipv4], destinationIp: [pods.hostIpv4] }] });
    client.close();
    expect(req.interface?.name).toBe(pods.bridge);
    expect(req.traceObservationPoint).toBe(TraceObservationPoint.FROM_NETWORK);
    expect(req.trafficDirection).toBe(TrafficDirection.INGRESS);
    expect(req.destination?.labels).toEqual(["reserved:host"]);
    expect(req.source?.labels).toEqual(["reserved:world"]); // not declared as an endpoint
    expect(req.nodeName).toBe("test-node");
  });
});

describe("unix socket", () => {
  it("serves the Observer API on a unix socket", async () => {
    const sock = join(dir, "collector.sock");
    const state = collectorState();
    const p = spawnBackground(["node", COLLECTOR_BIN, "--listen-address", `unix:${sock}`, "--metrics-address", "", ...state.args]);
    try {
      await waitFor("unix socket", async () => existsSync(sock), 20_000);
      const st = await runCli(["status", "--server", `unix:${sock}`]);
      expect(st.code, st.stderr).toBe(0);
      expect(st.stdout).toMatch(/Healthcheck .*Ok/);
    } finally {
      await p.kill();
      await state.cleanup();
    }
  });
});
