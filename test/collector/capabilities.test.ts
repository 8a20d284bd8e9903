// Least privilege: the collector checks capabilities, not uid 0. Run as root but with a bounding set of
// exactly CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_ADMIN (setpriv), it attaches to real pods and
// serves their flows; with one of them missing it stops at once with one line naming it.
import { existsSync } from "node:fs";
import { COLLECTOR_BIN, type Collector, collectorState, startCollector } from "@flowlens/test-harness/collector";
import { observerClient, waitForFlows } from "@flowlens/test-harness/observer";
import { createPods, type Pods } from "@flowlens/test-harness/pods";
import { run, waitFor } from "@flowlens/test-harness/run";
import { ping } from "@flowlens/test-harness/traffic";
import { processCapabilities } from "libbpf-ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const NEEDED = ["bpf", "perfmon", "net_admin", "sys_admin"];
/** setpriv argv: only these capabilities survive the exec of node (root's set is its bounding set). */
const only = (caps: string[]) => ["setpriv", "--bounding-set", `-all,${caps.map((c) => `+${c}`).join(",")}`, "--inh-caps", "-all", "--"];

let pods: Pods;
let collector: Collector | undefined;

beforeAll(async () => {
  pods = await createPods({
    prefix: "isocap",
    pods: [
      { name: "a", namespace: "default", labels: { app: "a" } },
      { name: "b", namespace: "default", labels: { app: "b" } },
    ],
  });
});

afterAll(async () => {
  await collector?.stop();
  await pods?.destroy();
});

describe("collector capabilities", () => {
  it("works with exactly CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_SYS_ADMIN", async () => {
    collector = await startCollector(["--endpoints", pods.endpointsFile, "--metrics-address", ""], 30_000, { wrap: only(NEEDED) });
    await waitFor("collector serving", async () => collector?.output().includes("serving 127.0.0.1"), 20_000);
    const pid = collector.process.process.pid as number;
    expect([...processCapabilities(pid).effective].sort()).toEqual(["CAP_BPF", "CAP_NET_ADMIN", "CAP_PERFMON", "CAP_SYS_ADMIN"]);
    expect(collector.output()).toContain("2 endpoints");
    const a = pods.pod("a");
    const b = pods.pod("b");
    expect(await ping(pods, a, b.ipv4, 2)).toBeGreaterThan(0);
    const client = observerClient(collector.address);
    try {
      const flows = await waitForFlows(client, { whitelist: [{ sourceIp: [a.ipv4], destinationIp: [b.ipv4] }] });
      expect(flows[0].source?.podName).toBe("a");
    } finally {
      client.close();
    }
  });

  it.each([
    [["bpf", "net_admin", "sys_admin"], "CAP_PERFMON"],
    [["perfmon", "net_admin"], "CAP_BPF \\(.*\\), CAP_SYS_ADMIN"],
  ])("with only %j stops in one line naming what is missing, before it pins anything", async (caps, missing) => {
    const state = collectorState();
    try {
      const r = await run([...only(caps), "node", COLLECTOR_BIN, "--listen-address", "127.0.0.1:0", ...state.args], {
        allowFail: true,
        timeoutMs: 20_000,
      });
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(
        new RegExp(`^flowlens-collector: needs CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_SYS_ADMIN; missing: ${missing} \\(`),
      );
      expect(existsSync(state.pinPath)).toBe(false);
    } finally {
      await state.cleanup();
    }
  });
});
