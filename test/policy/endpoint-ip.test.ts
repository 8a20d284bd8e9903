// Endpoint IP changes: policy follows the identity, not the address. app1 admits app2 only. app2
// moves to a new address and is re-registered with `flowlens endpoint add`; then app3 takes app2's
// old address. app2 still gets in from its new address, and app3 stays out from the old one — the
// kernel's IP -> identity map follows the endpoints without reloading anything.

import { endpointsYaml } from "@flowlens/test-harness/pods";
import { run, waitFor } from "@flowlens/test-harness/run";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cnp, type PolicySuite, policySuite } from "./lib/suite.js";

let s: PolicySuite;
const app1 = () => s.ip("app1");
let app2Old: string;
let app2New: string;

const APP1_IN = cnp(
  "app1-in",
  `  endpointSelector:\n    matchLabels: {app: app1}\n  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: "80", protocol: TCP}]}]\n`,
);

/** `flowlens endpoint add` for a pod with the given IPv4 address (and its IPv6 one). */
async function register(name: string, ipv4: string): Promise<string> {
  const p = s.pods.pod(name);
  const r = await s.adminCli([
    "endpoint",
    "add",
    "--name",
    name,
    "--namespace",
    p.namespace,
    "--netns",
    p.netns,
    "--interface",
    p.hostIf,
    "--label",
    `app=${name}`,
    "--ip",
    ipv4,
    "--ip",
    p.ipv6,
  ]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** Moves a pod's IPv4 address inside its netns (the default route goes with the old one: put it back). */
async function readdress(name: string, from: string, to: string): Promise<void> {
  const ns = s.pods.pod(name).netns;
  await run(["ip", "-n", ns, "addr", "del", `${from}/24`, "dev", "eth0"]);
  await run(["ip", "-n", ns, "addr", "add", `${to}/24`, "dev", "eth0"]);
  await run(["ip", "-n", ns, "route", "replace", "default", "via", s.pods.hostIpv4]);
  // app1 must not answer an old MAC for a reused address: the test would pass for the wrong reason.
  await run(["ip", "-n", s.pods.pod("app1").netns, "neigh", "flush", "all"]);
}

beforeAll(async () => {
  s = await policySuite({
    prefix: "p4f",
    pods: ["app1", "app2", "app3"].map((name) => ({ name, namespace: "default", labels: { app: name } })),
    tcp: [80],
    endpoints: (pods) => endpointsYaml([pods.pod("app1")]), // app2 and app3 come through the API
  });
  app2Old = s.ip("app2");
  app2New = app2Old.replace(/\.\d+$/, ".111");
  await register("app2", app2Old);
  await register("app3", s.ip("app3"));
  const { res } = await s.applyRpc(APP1_IN);
  expect(res.errors).toEqual([]);
});

afterAll(async () => {
  await s?.cleanup();
});

describe("endpoint IP change", () => {
  it("before: app2 connects from its address, app3 is dropped", async () => {
    const [a2, a3] = await Promise.all([s.agent.app2.tcp(app1(), 80), s.agent.app3.tcp(app1(), 80)]);
    expect([a2.r, a3.r]).toEqual(["connected", "timeout"]);
  });

  it("app2 moves to a new address and is re-registered: it connects from there at once", async () => {
    await readdress("app2", app2Old, app2New);
    expect(await register("app2", app2New)).toContain(app2New);
    const r = await s.agent.app2.tcp(app1(), 80);
    expect(r.r).toBe("connected");
    const list = await s.cli(["endpoint", "list"]);
    expect(list.stdout).toContain(app2New);
  });

  it("app3 takes app2's old address: still dropped, and its drop names app3, not app2", async () => {
    await readdress("app3", s.ip("app3"), app2Old);
    await register("app3", app2Old);
    const [a3, a2] = await Promise.all([s.agent.app3.tcp(app1(), 80), s.agent.app2.tcp(app1(), 80)]);
    expect([a3.r, a2.r]).toEqual(["timeout", "connected"]);
    const drops = await waitFor("app3's drop from the old address", async () => {
      const f = await s.observe(["--verdict", "DROPPED", "--type", "policy-verdict", "--from-ip", app2Old]);
      return f.length ? f : undefined;
    });
    const app3Identity = drops[0].source.identity;
    expect(drops[0]).toMatchObject({ source: { pod_name: "app3" }, destination: { pod_name: "app1" }, drop_reason_desc: "POLICY_DENIED" });
    const allowed = await s.observe(["--type", "policy-verdict", "--verdict", "FORWARDED", "--from-ip", app2New]);
    expect(allowed[0]).toMatchObject({ source: { pod_name: "app2" }, ingress_allowed_by: [{ name: "app1-in" }] });
    expect(allowed[0].source.identity).not.toBe(app3Identity);
  });
});
