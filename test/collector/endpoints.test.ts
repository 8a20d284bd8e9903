// Endpoints come from a file (re-read when it changes) and from `flowlens endpoint add|list|delete`;
// flows name them as soon as they are known. Bad flags fail with one line.
import { writeFileSync } from "node:fs";
import { COLLECTOR_BIN, type Collector, collectorState, runCli, startCollector } from "@flowlens/test-harness/collector";
import { observerClient, waitForFlows } from "@flowlens/test-harness/observer";
import { createPods, endpointsYaml, type Pods } from "@flowlens/test-harness/pods";
import { run, waitFor } from "@flowlens/test-harness/run";
import { ping } from "@flowlens/test-harness/traffic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let pods: Pods;
let collector: Collector;

beforeAll(async () => {
  pods = await createPods({
    prefix: "e2n",
    pods: [
      { name: "a", namespace: "default", labels: { app: "a" } },
      { name: "b", namespace: "default", labels: { app: "b" } },
      { name: "c", namespace: "team", labels: { app: "c" } },
    ],
  });
  // Start with only pod a declared.
  writeFileSync(pods.endpointsFile, endpointsYaml([pods.pod("a")]));
  collector = await startCollector(["--endpoints", pods.endpointsFile, "--metrics-address", ""]);
  await waitFor("collector attached", async () => collector.output().includes("serving"), 20_000);
});

afterAll(async () => {
  await collector?.stop();
  await pods?.destroy();
});

const list = async () => {
  const r = await runCli(["endpoint", "list", "--server", collector.address]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};

describe("endpoints", () => {
  it("shows an undeclared peer as world, then by name once added through the CLI", async () => {
    const a = pods.pod("a");
    const b = pods.pod("b");
    expect(await ping(pods, a, b.ipv4)).toBe(1);
    const client = observerClient(collector.address);
    const before = await waitForFlows(client, { whitelist: [{ destinationIp: [b.ipv4] }] });
    expect(before[0].destination?.labels).toEqual(["reserved:world"]);

    const add = await runCli([
      "endpoint",
      "add",
      "--server",
      collector.adminAddress,
      "--name",
      "b",
      "--netns",
      b.netns,
      "--interface",
      b.hostIf,
      "--label",
      "app=b",
      "--label",
      "role=peer",
    ]);
    expect(add.code, add.stderr).toBe(0);
    expect(await list()).toMatch(new RegExp(`default\\s+b\\s+.*${b.hostIf}.*${b.ipv4.replace(/\./g, "\\.")}`));

    const mark = new Date();
    expect(await ping(pods, a, b.ipv4)).toBe(1);
    const since = { seconds: BigInt(Math.floor(mark.getTime() / 1000)), nanos: (mark.getTime() % 1000) * 1e6 };
    const after = await waitForFlows(
      client,
      { since, whitelist: [{ destinationIp: [b.ipv4] }] },
      (f) => f.destination?.podName === "b" && f.destination.labels.includes("role=peer"),
    );
    // b's own veth is observed now too: the echo request is seen arriving at b.
    expect(after.some((f) => f.interface?.name === b.hostIf)).toBe(true);
    client.close();

    const del = await runCli(["endpoint", "delete", "--server", collector.adminAddress, "default/b"]);
    expect(del.code, del.stderr).toBe(0);
    expect(await list()).not.toMatch(/default\s+b\s/);
    // Deleting the endpoint takes the tc programs off its veth.
    for (const dir of ["ingress", "egress"]) expect((await run(["tc", "filter", "show", "dev", b.hostIf, dir])).stdout.trim()).toBe("");
  });

  it("re-reads the endpoints file when it changes", async () => {
    writeFileSync(pods.endpointsFile, endpointsYaml([pods.pod("a"), pods.pod("c")]));
    await waitFor("file re-applied", async () => /team\s+c\s/.test(await list()), 5000);
    writeFileSync(pods.endpointsFile, endpointsYaml([pods.pod("c")]));
    await waitFor("a removed", async () => !/default\s+a\s/.test(await list()), 5000);
  });

  it("rejects a bad endpoint with one line and a non-zero exit", async () => {
    const r = await runCli([
      "endpoint",
      "add",
      "--server",
      collector.adminAddress,
      "--name",
      "x",
      "--netns",
      "nope",
      "--interface",
      "no-such-if0",
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/no-such-if0/);
  });
});

describe("a recreated veth", () => {
  it("is followed: the collector attaches to the new interface", async () => {
    const c = pods.pod("c");
    const ifindexOf = async () => Number((await run(["cat", `/sys/class/net/${c.hostIf}/ifindex`])).stdout.trim());
    const before = await ifindexOf();
    await run(["ip", "link", "del", c.hostIf]);
    await run(["ip", "link", "add", c.hostIf, "type", "veth", "peer", "name", "eth0", "netns", c.netns]);
    await run(["ip", "link", "set", c.hostIf, "master", pods.bridge, "up"]);
    await pods.exec(c, ["ip", "addr", "add", `${c.ipv4}/24`, "dev", "eth0"]);
    await pods.exec(c, ["ip", "link", "set", "eth0", "up"]);
    const after = await ifindexOf();
    expect(after).not.toBe(before);
    await waitFor("re-attached", async () => collector.output().includes(`on ${c.hostIf} (ifindex ${after},`), 15_000);
    expect((await run(["tc", "filter", "show", "dev", c.hostIf, "ingress"])).stdout).toMatch(/fl_tc_ingress/);
    const client = observerClient(collector.address);
    const mark = Date.now();
    await ping(pods, c, pods.hostIpv4);
    const since = { seconds: BigInt(Math.floor(mark / 1000)), nanos: (mark % 1000) * 1e6 };
    const flows = await waitForFlows(client, { since, whitelist: [{ sourceIp: [c.ipv4] }] });
    client.close();
    expect(flows[0].interface?.index).toBe(after);
    expect(flows[0].source?.podName).toBe("c");
  });
});

describe("collector flags", () => {
  // Its own pin path and state dir: a flag that parses must never reach the production defaults.
  const state = collectorState();
  afterAll(() => state.cleanup());
  it.each([
    [["--buffer-size", "abc"], 2, /--buffer-size must be a positive integer/],
    [["--bpf-object", "/nonexistent/flowlens.bpf.o", "--listen-address", "127.0.0.1:0"], 1, /not found — build it first/],
    [["--endpoints"], 2, /argument missing/],
  ])("%j fails with one line", async (args, code, msg) => {
    const r = await run(["node", COLLECTOR_BIN, ...state.args, ...args], { allowFail: true, timeoutMs: 15_000 });
    expect(r.code).toBe(code);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(msg);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
