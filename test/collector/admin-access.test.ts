// Hostile local user: the policy and endpoint services must not be changeable by an unprivileged
// user through the collector's TCP listener (issue 8, control plane).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_BIN, type Collector, runCli, startCollector } from "../harness/collector.js";
import { createPods, endpointsYaml, type Pods } from "../harness/pods.js";
import { run, waitFor } from "../harness/run.js";

const NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"];
const asNobody = (args: string[]) => run([...NOBODY, "node", CLI_BIN, ...args], { allowFail: true, timeoutMs: 30_000 });

const POLICY = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: guard-a
spec:
  endpointSelector:
    matchLabels: {app: a}
  ingress:
    - fromEndpoints: [{matchLabels: {app: b}}]
`;

let pods: Pods;
let collector: Collector;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "flowlens-c8adm-"));
  writeFileSync(join(tmp, "guard.yaml"), POLICY);
  pods = await createPods({
    prefix: "c8adm",
    pods: [
      { name: "a", namespace: "default", labels: { app: "a" } },
      { name: "b", namespace: "default", labels: { app: "b" } },
      { name: "c", namespace: "default", labels: { app: "c" } },
    ],
  });
  // c is not declared: registering it is what the tests try.
  writeFileSync(pods.endpointsFile, endpointsYaml([pods.pod("a"), pods.pod("b")]));
  collector = await startCollector(["--endpoints", pods.endpointsFile, "--metrics-address", ""]);
  await waitFor("collector serving", async () => collector.output().includes("serving"), 20_000);
});

afterAll(async () => {
  await collector?.stop();
  await pods?.destroy();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const policies = async () => {
  const r = await runCli(["policy", "list", "--server", collector.address]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};

describe("control plane over TCP", () => {
  it("nobody cannot delete a policy", async () => {
    const apply = await runCli(["policy", "apply", "-f", join(tmp, "guard.yaml"), "--server", collector.adminAddress]);
    expect(apply.code, apply.stderr).toBe(0);
    const del = await asNobody(["policy", "delete", "guard-a", "--server", collector.address]);
    expect(del.code).toBe(1);
    expect(await policies()).toMatch(/guard-a/);
  });

  it("nobody cannot register an endpoint with chosen labels", async () => {
    const c = pods.pod("c");
    const add = await asNobody([
      "endpoint",
      "add",
      "--server",
      collector.address,
      "--name",
      "spoof",
      "--netns",
      c.netns,
      "--interface",
      c.hostIf,
      "--label",
      "app=a",
    ]);
    expect(add.code, add.stderr).toBe(1);
    const list = await runCli(["endpoint", "list", "--server", collector.address]);
    expect(list.stdout).not.toMatch(/spoof/);
  });
});
