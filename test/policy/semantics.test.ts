// Policy semantics on real traffic, each applied through the collector's Policies service: default
// deny per direction, deny beats allow, CIDR egress with except to addresses outside the pods (a
// "world" namespace), the entities world/host/all (and Cilium's allow-localhost), and port ranges
// at their edges in both directions.

import { waitFor } from "@flowlens/test-harness/run";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cnp, type PolicySuite, policySuite } from "./lib/suite.js";

const WORLD_IN = "198.51.100.10";
const WORLD_OUT = "198.51.100.200"; // inside the except
const PORTS = [80, 81, 7999, 8000, 8080, 8081];

let s: PolicySuite;

beforeAll(async () => {
  s = await policySuite({
    prefix: "p4b",
    pods: ["app1", "app2", "app3"].map((name) => ({ name, namespace: "default", labels: { app: name } })),
    tcp: PORTS,
    world: [WORLD_IN, WORLD_OUT],
  });
});

afterAll(async () => {
  await s?.cleanup();
});

afterEach(async () => {
  await s.deleteAll();
});

async function apply(...docs: string[]): Promise<void> {
  const { res } = await s.applyRpc(docs.join("---\n"));
  expect(res.errors).toEqual([]);
}

/** TCP connect results, probed in parallel: "connected" or "timeout" (dropped). */
async function probe(list: [from: string, to: string, port: number][]): Promise<string[]> {
  return Promise.all(
    list.map(async ([from, to, port]) => {
      const dst = to === "world-in" ? WORLD_IN : to === "world-out" ? WORLD_OUT : s.ip(to);
      const agent = from === "host" ? s.host : s.agent[from];
      return (await agent.tcp(dst, port)).r;
    }),
  );
}

const onApp1 = (body: string) => `  endpointSelector:\n    matchLabels: {app: app1}\n${body}`;

describe("default deny per direction", () => {
  it("an ingress policy closes ingress only: app3 is dropped, app1's own egress is untouched", async () => {
    await apply(cnp("in", onApp1("  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n")));
    expect(
      await probe([
        ["app2", "app1", 80],
        ["app3", "app1", 80],
        ["app1", "app3", 80],
        ["app1", "world-in", 80],
      ]),
    ).toEqual(["connected", "timeout", "connected", "connected"]);
    const drops = await waitFor("app3's ingress drop", async () => {
      const f = await s.observe(["--verdict", "DROPPED", "--from-pod", "default/app3", "--to-pod", "default/app1"]);
      return f.length ? f : undefined;
    });
    expect(drops[0]).toMatchObject({ traffic_direction: "INGRESS", drop_reason_desc: "POLICY_DENIED" });
  });

  it("an egress policy closes egress only: app1 reaches app2:80 alone, everyone still reaches app1", async () => {
    await apply(
      cnp(
        "out",
        onApp1("  egress:\n    - toEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '80', protocol: TCP}]}]\n"),
      ),
    );
    expect(
      await probe([
        ["app1", "app2", 80],
        ["app1", "app2", 81],
        ["app1", "app3", 80],
        ["app1", "world-in", 80],
        ["app3", "app1", 80],
        ["app2", "app1", 81],
      ]),
    ).toEqual(["connected", "timeout", "timeout", "timeout", "connected", "connected"]);
    const drops = await waitFor("app1's egress drop", async () => {
      const f = await s.observe(["--verdict", "DROPPED", "--from-pod", "default/app1", "--to-pod", "default/app3"]);
      return f.length ? f : undefined;
    });
    expect(drops[0]).toMatchObject({ traffic_direction: "EGRESS", drop_reason_desc: "POLICY_DENIED" });
  });
});

describe("deny beats allow", () => {
  it("a deny of one port inside an allow of every port, and a deny in another policy over an allow-all", async () => {
    await apply(
      cnp(
        "allow-app2",
        onApp1(
          "  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n  ingressDeny:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '81', protocol: TCP}]}]\n",
        ),
      ),
      cnp("allow-all", onApp1("  ingress:\n    - fromEntities: [all]\n")),
      cnp("deny-app3", onApp1("  ingressDeny:\n    - fromEndpoints: [{matchLabels: {app: app3}}]\n")),
    );
    expect(
      await probe([
        ["app2", "app1", 80],
        ["app2", "app1", 81],
        ["app3", "app1", 80],
        ["host", "app1", 80],
      ]),
    ).toEqual(["connected", "timeout", "timeout", "connected"]);
    const denied = await waitFor("explicit deny verdicts", async () => {
      const f = await s.observe(["--verdict", "DROPPED", "--type", "policy-verdict", "--to-pod", "default/app1"]);
      const names = new Set(f.flatMap((x) => (x.ingress_denied_by ?? []).map((p: { name: string }) => p.name)));
      return names.has("allow-app2") && names.has("deny-app3") ? f : undefined;
    });
    for (const f of denied.filter((x) => x.ingress_denied_by)) expect(f.drop_reason_desc).toBe("POLICY_DENY");
  });
});

describe("CIDR egress to the world namespace", () => {
  it("toCIDRSet with except: the address inside connects, the excepted one is dropped, pods are not selected", async () => {
    await apply(
      cnp(
        "cidr",
        onApp1(
          "  egress:\n    - toCIDRSet:\n        - cidr: 198.51.100.0/24\n          except: [198.51.100.128/25]\n      toPorts: [{ports: [{port: '80', protocol: TCP}]}]\n",
        ),
      ),
    );
    expect(
      await probe([
        ["app1", "world-in", 80],
        ["app1", "world-out", 80],
        ["app1", "world-in", 81],
        ["app1", "app2", 80],
        ["app2", "world-out", 80],
      ]),
    ).toEqual(["connected", "timeout", "timeout", "timeout", "connected"]);
    const drops = await waitFor("the drop to the excepted address", async () => {
      const f = await s.observe(["--verdict", "DROPPED", "--from-pod", "default/app1", "--to-ip", WORLD_OUT]);
      return f.length ? f : undefined;
    });
    expect(drops[0]).toMatchObject({ traffic_direction: "EGRESS", IP: { destination: WORLD_OUT } });
    const allowed = await s.observe(["--type", "policy-verdict", "--verdict", "FORWARDED", "--to-ip", WORLD_IN]);
    expect(allowed[0]?.egress_allowed_by).toMatchObject([{ name: "cidr" }]);
  });
});

describe("entities", () => {
  it("world: outside addresses connect, pods do not", async () => {
    await apply(cnp("world", onApp1("  egress:\n    - toEntities: [world]\n")));
    expect(
      await probe([
        ["app1", "world-in", 80],
        ["app1", "world-out", 81],
        ["app1", "app2", 80],
      ]),
    ).toEqual(["connected", "connected", "timeout"]);
  });

  it("host: the node connects, pods do not; all: every peer connects", async () => {
    await apply(cnp("host", onApp1("  ingress:\n    - fromEntities: [host]\n")));
    expect(
      await probe([
        ["host", "app1", 80],
        ["app2", "app1", 80],
      ]),
    ).toEqual(["connected", "timeout"]);
    await s.deleteAll();
    await apply(cnp("all", onApp1("  ingress:\n    - fromEntities: [all]\n")));
    expect(
      await probe([
        ["host", "app1", 81],
        ["app2", "app1", 80],
        ["app3", "app1", 81],
      ]),
    ).toEqual(["connected", "connected", "connected"]);
  });

  it("allow-localhost: the node reaches an ingress default-deny endpoint unless a deny names the host", async () => {
    await apply(cnp("in", onApp1("  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n")));
    expect(
      await probe([
        ["host", "app1", 8081],
        ["app3", "app1", 8081],
      ]),
    ).toEqual(["connected", "timeout"]);
    await apply(cnp("no-host", onApp1("  ingressDeny:\n    - fromEntities: [host]\n")));
    expect(
      await probe([
        ["host", "app1", 8081],
        ["app2", "app1", 8081],
      ]),
    ).toEqual(["timeout", "connected"]);
  });
});

describe("port ranges", () => {
  const edges: [number, string][] = [
    [7999, "timeout"],
    [8000, "connected"],
    [8080, "connected"],
    [8081, "timeout"],
  ];

  it("ingress port..endPort: the edges are in, one past each edge is out", async () => {
    await apply(
      cnp(
        "range-in",
        onApp1(
          "  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '8000', endPort: 8080, protocol: TCP}]}]\n",
        ),
      ),
    );
    expect(await probe(edges.map(([p]) => ["app2", "app1", p]))).toEqual(edges.map(([, r]) => r));
  });

  it("egress port..endPort: the same edges on the way out", async () => {
    await apply(
      cnp(
        "range-out",
        onApp1(
          "  egress:\n    - toEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '8000', endPort: 8080, protocol: TCP}]}]\n",
        ),
      ),
    );
    expect(await probe(edges.map(([p]) => ["app1", "app2", p]))).toEqual(edges.map(([, r]) => r));
  });
});
