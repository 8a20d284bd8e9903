// Audit mode, per policy (annotation flowlens.io/audit-mode) and global (collector flag
// --policy-audit-mode): would-be drops pass — at L3/L4 and at L7 — and their flows say AUDIT.

import { waitFor } from "@flowlens/test-harness/run";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cnp, type JsonFlow, type PolicySuite, policySuite } from "./lib/suite.js";

const AUDIT = '  annotations:\n    flowlens.io/audit-mode: "true"\n';
const app1Policy = (name: string, meta = "") =>
  cnp(
    name,
    `  endpointSelector:
    matchLabels: {app: app1}
  ingress:
    - fromEndpoints: [{matchLabels: {app: app2}}]
      toPorts:
        - ports: [{port: "80", protocol: TCP}]
          rules:
            http: [{method: GET, path: /public}]
`,
    meta,
  );
const denyApp3 = (name: string, meta = "") =>
  cnp(name, "  endpointSelector:\n    matchLabels: {app: app1}\n  ingressDeny:\n    - fromEndpoints: [{matchLabels: {app: app3}}]\n", meta);

let s: PolicySuite;
const app1 = () => s.ip("app1");

beforeAll(async () => {
  s = await policySuite({
    prefix: "p4d",
    pods: ["app1", "app2", "app3"].map((name) => ({ name, namespace: "default", labels: { app: name } })),
    tcp: [80, 81],
  });
});

afterAll(async () => {
  await s?.cleanup();
});

/** Waits for flows of `args` that satisfy `ok`. */
function flowsUntil(what: string, args: string[], ok: (f: JsonFlow[]) => boolean): Promise<JsonFlow[]> {
  return waitFor(what, async () => {
    const f = await s.observe(args);
    return ok(f) ? f : undefined;
  });
}

const get = (path: string, method = "GET") => ({ method, path });

describe("audit mode per policy (flowlens.io/audit-mode annotation)", () => {
  it("is listed as audit and lets app3 connect; its would-be drop is a policy-verdict AUDIT", async () => {
    const r = await s.applyCli(app1Policy("app1-audit", AUDIT));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("audit mode");
    const list = await s.cli(["policy", "list"]);
    expect(list.stdout).toMatch(/^default\s+app1-audit\s+CiliumNetworkPolicy\s+1\s+yes\s/m);
    expect((await s.agent.app3.tcp(app1(), 80)).r).toBe("connected");
    expect((await s.agent.app2.tcp(app1(), 81)).r).toBe("connected");
    const audits = await flowsUntil("app3's AUDIT verdict", ["--verdict", "AUDIT", "--from-pod", "default/app3"], (f) => f.length > 0);
    expect(audits[0]).toMatchObject({
      verdict: "AUDIT",
      event_type: { type: 5 },
      traffic_direction: "INGRESS",
      destination: { pod_name: "app1" },
    });
    expect(await s.observe(["--verdict", "DROPPED", "--from-pod", "default/app3"])).toEqual([]);
  });

  it("L7: a request the HTTP rules deny reaches the server and is an L7 flow with verdict AUDIT", async () => {
    const answers = await s.agent.app2.http(app1(), 80, [get("/restricted"), get("/public", "POST")]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers[0].body).toBe("ok GET /restricted\n");
    const l7 = await flowsUntil("L7 AUDIT flows", ["--type", "l7", "--verdict", "AUDIT", "--from-pod", "default/app2"], (f) =>
      f.some((x) => x.l7?.http?.url?.endsWith("/restricted")),
    );
    expect(l7.find((x) => x.l7.http.url.endsWith("/restricted"))).toMatchObject({
      Type: "L7",
      verdict: "AUDIT",
      l7: { http: { method: "GET" } },
    });
  });

  it("an audit-mode deny: app3 passes, the verdict is AUDIT and names the deny (ingress_denied_by)", async () => {
    const r = await s.applyCli(denyApp3("deny-app3-audit", AUDIT));
    expect(r.code, r.stderr).toBe(0);
    expect((await s.agent.app3.tcp(app1(), 80)).r).toBe("connected");
    // As in Hubble, only DROPPED flows carry a drop reason; the deny is named instead.
    const f = await flowsUntil("the audited deny", ["--verdict", "AUDIT", "--from-pod", "default/app3"], (x) =>
      x.some((y) => y.ingress_denied_by),
    );
    expect(f.find((y) => y.ingress_denied_by)).toMatchObject({
      traffic_direction: "INGRESS",
      policy_match_type: 1, // L3-only: the deny names app3, any port
      ingress_denied_by: [{ name: "deny-app3-audit", kind: "CiliumNetworkPolicy" }],
    });
  });

  it("an enforced policy beside it still drops: audit is per policy", async () => {
    const r = await s.applyCli(denyApp3("deny-app3"));
    expect(r.code, r.stderr).toBe(0);
    expect((await s.agent.app3.tcp(app1(), 80)).r).toBe("timeout");
    await s.deleteAll();
  });
});

describe("global audit mode (--policy-audit-mode)", () => {
  it("a policy without the annotation only audits: app3 connects, GET /restricted reaches the server, flows say AUDIT", async () => {
    await s.restart({ args: ["--policy-audit-mode"] });
    const { res } = await s.applyRpc(`${app1Policy("app1-policy")}---\n${denyApp3("deny-app3")}`);
    expect(res.errors).toEqual([]);
    expect((await s.agent.app3.tcp(app1(), 80)).r).toBe("connected");
    expect((await s.agent.app2.tcp(app1(), 81)).r).toBe("connected");
    // The first requests after Apply returned: the proxy already listens (it forwards what it audits).
    const [pub, restricted] = await s.agent.app2.http(app1(), 80, [get("/public"), get("/restricted")]);
    expect([pub.status, restricted.status]).toEqual([200, 200]);
    const audits = await flowsUntil(
      "AUDIT flows of app3, app2:81 and GET /restricted",
      ["--verdict", "AUDIT", "--to-pod", "default/app1"],
      (f) =>
        f.some((x) => x.source?.pod_name === "app3" && x.ingress_denied_by) &&
        f.some((x) => x.source?.pod_name === "app2" && x.l4?.TCP?.destination_port === 81) &&
        f.some((x) => x.Type === "L7" && x.l7?.http?.url?.endsWith("/restricted")),
    );
    expect(audits.find((x) => x.source?.pod_name === "app3" && x.ingress_denied_by)?.ingress_denied_by).toMatchObject([
      { name: "deny-app3" },
    ]);
    // No drop at all: no policy drop, and no reset for want of a proxy listener (SOCKET_LOOKUP_FAILED).
    const drops = await s.observe(["--verdict", "DROPPED", "--to-pod", "default/app1"]);
    expect(drops.map((f) => f.drop_reason_desc)).toEqual([]);
  });
});
