// Start-up fails closed. A collector restarted on a damaged persisted policy (or a --policies file
// that no longer parses) leaves the pinned maps enforcing the last good set: the denied pod stays
// denied, the health of flowlens.Policies is NOT_SERVING, flowlens_policy_healthy is 0 and the log
// and flowlens_policy_load_errors name the file. Flows keep being served. A good Apply of that
// policy (or the fixed file) recovers: SERVING again and the maps follow the new policy.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "@flowlens/test-harness/collector";
import { healthOf } from "@flowlens/test-harness/health";
import { endpointsYaml } from "@flowlens/test-harness/pods";
import { sleep, waitFor } from "@flowlens/test-harness/run";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cnp, epochMs, type PolicySuite, policySuite } from "./lib/suite.js";

const POLICIES = "flowlens.Policies";
/** app1 takes port 80 from the pods in `from` only. */
const app1From = (name: string, from: string[]) =>
  cnp(
    name,
    `  endpointSelector:\n    matchLabels: {app: app1}\n  ingress:\n    - fromEndpoints: [{matchExpressions: [{key: app, operator: In, values: [${from.join(", ")}]}]}]\n      toPorts: [{ports: [{port: "80", protocol: TCP}]}]\n`,
  );

let s: PolicySuite;
let metricsPort = 0;
const app1 = () => s.ip("app1");
const reaches = async (pod: string, to = app1()) => (await s.agent[pod].tcp(to, 80, 700)).r;
const persisted = () => join(s.state.stateDir, "policies", "cnp_default_app1-in.yaml");

async function metric(name: string): Promise<string[]> {
  const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  return body.split("\n").filter((l) => l.startsWith(name));
}

beforeAll(async () => {
  metricsPort = await freePort();
  s = await policySuite({
    prefix: "p8fc",
    pods: [
      ...["app1", "app2", "app3"].map((name) => ({ name, namespace: "default", labels: { app: name } })),
      // A second app1 that becomes an endpoint only while start is held (see below).
      { name: "app5", namespace: "default", labels: { app: "app1", replica: "2" } },
    ],
    tcp: [80],
    collectorArgs: ["--metrics-address", `127.0.0.1:${metricsPort}`],
    endpoints: (pods) => endpointsYaml(pods.pods.filter((p) => p.name !== "app5")),
  });
  const r = await s.applyCli(app1From("app1-in", ["app2"]));
  expect(r.code, r.stderr).toBe(0);
  expect(await reaches("app2")).toBe("connected");
  expect(await reaches("app3")).toBe("timeout");
});

afterAll(async () => {
  await s?.cleanup();
});

describe("a damaged persisted policy at start", () => {
  let restartedAt = 0;

  it("a healthy collector reports flowlens.Policies SERVING", async () => {
    expect(await healthOf(s.collector.address, POLICIES)).toBe("SERVING");
    expect(await metric("flowlens_policy_healthy ")).toEqual(["flowlens_policy_healthy 1"]);
  });

  it("leaves the pinned maps enforcing the last good set and says so (health, metric, log)", async () => {
    await s.restart({
      beforeStart: async () => {
        const good = readFileSync(persisted(), "utf8");
        // Cut in the middle of the spec: the YAML no longer parses.
        writeFileSync(persisted(), `${good.slice(0, good.indexOf("ingress"))}ingress: [{fromEndpoints: [\n`);
        restartedAt = epochMs();
      },
    });
    expect(await reaches("app3")).toBe("timeout");
    expect(await reaches("app2")).toBe("connected");
    expect(await healthOf(s.collector.address, POLICIES)).toBe("NOT_SERVING");
    // The Observer API is not the part that failed.
    expect(await healthOf(s.collector.address, "observer.Observer")).toBe("SERVING");
    expect(await metric("flowlens_policy_healthy ")).toEqual(["flowlens_policy_healthy 0"]);
    const errors = await metric("flowlens_policy_load_errors{");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`source="${persisted()}"`);
    expect(s.collector.output()).toMatch(new RegExp(`policy enforcement held at the last good set: ${persisted()}(:\\d+)?: .+`));
  });

  it("enforces the last good set on an endpoint that appears while start is held", async () => {
    writeFileSync(s.pods.endpointsFile, endpointsYaml(s.pods.pods));
    const app5 = s.ip("app5");
    await waitFor("app3 dropped on its way to the new app1 replica", async () => (await reaches("app3", app5)) === "timeout", 15_000);
    expect(await reaches("app2", app5)).toBe("connected");
    expect(await healthOf(s.collector.address, POLICIES)).toBe("NOT_SERVING");
  });

  it("still enforces after the collector's prune of endpoints that did not come back (30 s after start)", async () => {
    // The endpoints are all back (from the endpoints file); holding must not make them look gone.
    await sleep(32_000);
    expect(s.collector.output()).not.toContain("removed state of endpoints gone");
    expect(await reaches("app3")).toBe("timeout");
    expect(await reaches("app2")).toBe("connected");
  }, 60_000);

  it("keeps serving flows, verdicts named by the last good policy", async () => {
    const since = new Date(restartedAt).toISOString();
    const drops = await waitFor("app3 drops after the restart", async () => {
      const f = await s.observe(["--verdict", "DROPPED", "--from-pod", "default/app3", "--since", since]);
      return f.length ? f : undefined;
    });
    expect(drops[0]).toMatchObject({ drop_reason_desc: "POLICY_DENIED", destination: { pod_name: "app1" } });
    const allowed = await waitFor("app2 verdicts after the restart", async () => {
      await reaches("app2");
      const f = await s.observe(["--type", "policy-verdict", "--from-pod", "default/app2", "--since", since]);
      return f.length ? f : undefined;
    });
    expect(allowed[0].ingress_allowed_by?.[0]).toMatchObject({ name: "app1-in", namespace: "default" });
  });

  it("refuses an Apply that leaves the damaged policy in place, with the reason", async () => {
    const r = await s.applyCli(app1From("other", ["app3"]));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(persisted());
    expect(await reaches("app3")).toBe("timeout");
    expect(await healthOf(s.collector.address, POLICIES)).toBe("NOT_SERVING");
  });

  it("recovers on a good Apply of that policy: SERVING, and the maps follow it", async () => {
    const r = await s.applyCli(app1From("app1-in", ["app3"]));
    expect(r.code, r.stderr).toBe(0);
    expect(await healthOf(s.collector.address, POLICIES)).toBe("SERVING");
    expect(await metric("flowlens_policy_healthy ")).toEqual(["flowlens_policy_healthy 1"]);
    expect(await metric("flowlens_policy_load_errors{")).toEqual([]);
    expect(await reaches("app3")).toBe("connected");
    expect(await reaches("app2")).toBe("timeout");
  });
});

describe("a --policies file that does not parse at start", () => {
  it("holds the last good set until the file is fixed", async () => {
    const file = join(s.tmp, "node-policies.yaml");
    writeFileSync(file, "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: from-file\nspec: [\n");
    await s.restart({ args: ["--policies", file] });
    expect(await healthOf(s.collector.address, POLICIES)).toBe("NOT_SERVING");
    expect(await reaches("app2")).toBe("timeout");
    expect(await reaches("app3")).toBe("connected");
    expect((await metric("flowlens_policy_load_errors{")).join("\n")).toContain(`source="${file}"`);
    expect(s.collector.output()).toContain(`policy enforcement held at the last good set: ${file}`);

    // Fixed: a second policy lets app2 in as well (policies add up).
    writeFileSync(file, app1From("from-file", ["app2"]));
    await waitFor("policy health SERVING", async () => (await healthOf(s.collector.address, POLICIES)) === "SERVING", 15_000);
    await waitFor("app2 let in by the fixed file", async () => (await reaches("app2")) === "connected", 10_000);
    expect(await reaches("app3")).toBe("connected");
    expect(await metric("flowlens_policy_healthy ")).toEqual(["flowlens_policy_healthy 1"]);
  });
});
