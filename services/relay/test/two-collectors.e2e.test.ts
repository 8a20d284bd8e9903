// Two collectors (two pod sets on this machine, different node names) behind one relay: the merged
// stream, `flowlens list nodes`, a collector killed and restarted, the relay restarted.
import type { Flow, GetFlowsResponse } from "@flowlens/proto";
import { NodeState } from "@flowlens/proto";
import { runCli } from "@flowlens/test-harness/collector";
import { createPods, type Pods } from "@flowlens/test-harness/pods";
import { type Daemon, observer, startCollectorAt, startRelay } from "@flowlens/test-harness/relay";
import { waitFor } from "@flowlens/test-harness/run";
import { curlGet, startHttpServer } from "@flowlens/test-harness/traffic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let podsA: Pods;
let podsB: Pods;
let colA: Daemon;
let colB: Daemon;
let relay: Daemon;
let client: ReturnType<typeof observer>;
const collectorArgs = ["--flow-idle-timeout", "3s", "--buffer-size", "8191"];

const flowsOf = (rs: GetFlowsResponse[]): Flow[] => rs.flatMap((r) => (r.responseTypes.case === "flow" ? [r.responseTypes.value] : []));
const timeNs = (f: Flow) => Number(f.time?.seconds ?? 0n) * 1e9 + (f.time?.nanos ?? 0);
const statusEvents = (rs: GetFlowsResponse[], state: NodeState) =>
  rs.flatMap((r) => (r.responseTypes.case === "nodeStatus" && r.responseTypes.value.stateChange === state ? [r.responseTypes.value] : []));

async function traffic(pods: Pods, n = 1): Promise<void> {
  for (let i = 0; i < n; i++) expect((await curlGet(pods, "client", `http://${pods.pod("server").ipv4}:8080/`)).status).toBe(200);
}

/** uuids of every flow the collector's ring holds. */
async function ringUuids(col: Daemon): Promise<Set<string>> {
  const c = observer(col.address);
  try {
    return new Set(flowsOf(await c.getFlows({})).map((f) => f.uuid));
  } finally {
    c.close();
  }
}

const spec = (prefix: string) => ({
  prefix,
  pods: [
    { name: "client", namespace: `ns-${prefix}`, labels: { app: "client" } },
    { name: "server", namespace: `ns-${prefix}`, labels: { app: "server" } },
  ],
});

beforeAll(async () => {
  podsA = await createPods(spec("rlya"));
  podsB = await createPods(spec("rlyb"));
  colA = await startCollectorAt(["--endpoints", podsA.endpointsFile, "--node-name", "relay-e2e-a", ...collectorArgs]);
  colB = await startCollectorAt(["--endpoints", podsB.endpointsFile, "--node-name", "relay-e2e-b", ...collectorArgs]);
  await startHttpServer(podsA, "server", 8080);
  await startHttpServer(podsB, "server", 8080);
  relay = await startRelay(["--peers", `${colA.address},${colB.address}`, "--sort-buffer-drain-timeout", "200ms"]);
  client = observer(relay.address);
});

afterAll(async () => {
  client?.close();
  await relay?.stop();
  await colA?.stop();
  await colB?.stop();
  await podsA?.destroy();
  await podsB?.destroy();
});

describe("relay over two collectors", () => {
  it("merges both nodes' flows into one stream in time order, extensions kept", async () => {
    await traffic(podsA, 2);
    await traffic(podsB, 2);
    const rs = await waitFor(
      "flows of both nodes through the relay",
      async () => {
        const r = await client.getFlows({});
        const nodes = new Set(flowsOf(r).map((f) => f.nodeName));
        return nodes.has("relay-e2e-a") && nodes.has("relay-e2e-b") && flowsOf(r).length >= 16 ? r : undefined;
      },
      15_000,
    );
    const connected = statusEvents(rs, NodeState.NODE_CONNECTED)[0];
    expect([...(connected?.nodeNames ?? [])].sort()).toEqual(["relay-e2e-a", "relay-e2e-b"]);
    // Collectors serve the batched stream: the relay uses it.
    expect(relay.output()).toMatch(/relay-e2e-a .*NODE_CONNECTED via flowlens\.FlowStream/);
    expect(relay.output()).not.toMatch(/does not serve flowlens\.FlowStream/);
    const flows = flowsOf(rs);
    const times = flows.map(timeNs);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(flows.every((f) => f.extensions !== undefined)).toBe(true);
    // Exactly what the collectors hold, nothing more, no duplicates.
    const relayUuids = flows.map((f) => f.uuid);
    expect(new Set(relayUuids).size).toBe(relayUuids.length);
    const held = new Set([...(await ringUuids(colA)), ...(await ringUuids(colB))]);
    expect(relayUuids.filter((u) => !held.has(u))).toEqual([]);
    // The collectors may have emitted more since (flow ends): those reach the relay too.
    await waitFor("every flow the collectors hold in the relay", async () => {
      const now = new Set(flowsOf(await client.getFlows({})).map((f) => f.uuid));
      return [...held].every((u) => now.has(u));
    });
  });

  it("`flowlens list nodes` through the relay shows both nodes connected", async () => {
    const r = await runCli(["list", "nodes", "--server", relay.address]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/relay-e2e-a\s+Connected/);
    expect(r.stdout).toMatch(/relay-e2e-b\s+Connected/);
  });

  it("a killed collector is NODE_ERROR on the stream while the other streams on; restarted, it is followed again without duplicates", async () => {
    const got: GetFlowsResponse[] = [];
    const stream = client.follow({}, (r) => got.push(r));
    try {
      await waitFor("stream start", async () => got.length > 0);
      const portA = colA.port;
      await colA.stop();
      await waitFor(
        "NODE_ERROR for node a",
        async () => statusEvents(got, NodeState.NODE_ERROR).some((e) => e.nodeNames.includes("relay-e2e-a")),
        10_000,
      );
      const st = await client.status();
      expect(st.numUnavailableNodes).toBe(1);
      expect(st.unavailableNodes).toEqual(["relay-e2e-a"]);
      const list = await runCli(["list", "nodes", "--server", relay.address]);
      expect(list.stdout).toMatch(/relay-e2e-b\s+Connected/);
      expect(list.stdout).not.toMatch(/relay-e2e-a\s+Connected/);

      // The other node keeps streaming.
      const before = got.length;
      await traffic(podsB);
      await waitFor(
        "node b's flows after node a failed",
        async () => flowsOf(got.slice(before)).some((f) => f.nodeName === "relay-e2e-b"),
        10_000,
      );

      // Back on the same port: the relay reconnects (backoff 1 s, 2 s, ...) and follows it again.
      colA = await startCollectorAt(["--endpoints", podsA.endpointsFile, "--node-name", "relay-e2e-a", ...collectorArgs], portA);
      await waitFor(
        "NODE_CONNECTED for node a again",
        async () =>
          got.some(
            (r, i) =>
              i > 0 &&
              r.responseTypes.case === "nodeStatus" &&
              r.responseTypes.value.stateChange === NodeState.NODE_CONNECTED &&
              r.responseTypes.value.nodeNames.includes("relay-e2e-a"),
          ),
        20_000,
      );
      const mark = got.length;
      await traffic(podsA);
      await waitFor("node a's new flows", async () => flowsOf(got.slice(mark)).some((f) => f.nodeName === "relay-e2e-a"), 10_000);
    } catch (e) {
      throw new Error(`${(e as Error).message}\nrelay: ${relay.output()}\ncollector a: ${colA.output().slice(-2000)}`);
    } finally {
      stream.cancel();
    }
    const all = flowsOf(got).map((f) => f.uuid);
    expect(new Set(all).size).toBe(all.length);
  });

  it("a restarted relay reads what the collectors' rings still hold, once", async () => {
    await relay.stop();
    await traffic(podsA);
    await traffic(podsB);
    const port = relay.port;
    relay = await startRelay(["--peers", `${colA.address},${colB.address}`, "--sort-buffer-drain-timeout", "200ms"], port);
    client.close();
    client = observer(relay.address);
    const expected = new Set([...(await ringUuids(colA)), ...(await ringUuids(colB))]);
    const got = await waitFor(
      "every flow of both rings in the restarted relay",
      async () => {
        const uuids = flowsOf(await client.getFlows({})).map((f) => f.uuid);
        return [...expected].every((u) => uuids.includes(u)) ? uuids : undefined;
      },
      15_000,
    );
    expect(new Set(got).size).toBe(got.length);
  });
});
