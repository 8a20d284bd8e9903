// The founding example end to end: app1 is reachable only from app2 on TCP 80 (app3 is dropped in
// the kernel), and on that port only GET /public passes the L7 proxy: GET /restricted and POST
// /public get 403 on the same keep-alive connection. Applied with `flowlens policy apply`; every
// decision is visible with `flowlens observe`.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { waitFor } from "@flowlens/test-harness/run";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cnp, epochMs, type PolicySuite, policySuite } from "./lib/suite.js";

// The demo's own policy file, so what the quick start shows is what this suite checks.
const FOUNDING = readFileSync(fileURLToPath(new URL("../../infra/demo/policies/founding.yaml", import.meta.url)), "utf8");

const DENY_APP3 = cnp(
  "app1-deny-app3",
  `  endpointSelector:
    matchLabels: {app: app1}
  ingressDeny:
    - fromEndpoints:
        - matchLabels: {app: app3}
`,
);

let s: PolicySuite;
const app1 = () => s.ip("app1");

beforeAll(async () => {
  s = await policySuite({
    prefix: "p4a",
    pods: ["app1", "app2", "app3"].map((name) => ({ name, namespace: "default", labels: { app: name } })),
    tcp: [80, 81],
  });
});

afterAll(async () => {
  await s?.cleanup();
});

describe("founding example", () => {
  it("without a policy app2 and app3 reach app1", async () => {
    expect((await s.agent.app3.tcp(app1(), 80)).r).toBe("connected");
    expect((await s.agent.app2.tcp(app1(), 80)).r).toBe("connected");
  });

  it("flowlens policy apply: the first requests right after it returns are answered by the L7 proxy; app3 is dropped, app2 gets 80 only", async () => {
    const invoked = epochMs();
    const r = await s.applyCli(FOUNDING);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^applied default\/app1-founding \(CiliumNetworkPolicy, 1 rule, revision \d+\)$/m);
    // Port 80 became L7 with this apply, and no proxy ran before it: Apply returns once the proxy
    // listens in app1's netns, so the very first connection is answered by it (no reset window).
    const sent = epochMs();
    const first = await s.agent.app2.http(app1(), 80, [
      { method: "GET", path: "/public" },
      { method: "GET", path: "/restricted" },
    ]);
    console.log(
      `founding: the apply CLI took ${(r.returnedAt - invoked).toFixed(0)} ms (proxy started and listening); first request ${(sent - r.returnedAt).toFixed(0)} ms after it returned: ${first.map((a) => a.status || a.error).join(", ")}`,
    );
    expect(first.map((a) => a.status)).toEqual([200, 403]);
    expect(first[1].body).toBe("Access denied\r\n");
    const [app3, app2Other] = await Promise.all([s.agent.app3.tcp(app1(), 80), s.agent.app2.tcp(app1(), 81)]);
    expect(app3.r).toBe("timeout");
    expect(app2Other.r).toBe("timeout");
  });

  it("L7: GET /public 200, GET /restricted 403, GET /public 200 again, all on one keep-alive connection", async () => {
    const answers = await s.agent.app2.http(app1(), 80, [
      { method: "GET", path: "/public" },
      { method: "GET", path: "/restricted" },
      { method: "GET", path: "/public" },
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 403, 200]);
    expect(answers[0].body).toBe("ok GET /public\n"); // reached the server unchanged
    expect(answers[1].body).toBe("Access denied\r\n");
    expect(new Set(answers.map((a) => a.localPort)).size).toBe(1);
    expect(answers.slice(1).every((a) => a.reused)).toBe(true);
  });

  it("L7: POST /public is 403 when only GET is allowed; app3 gets no HTTP answer at all", async () => {
    const [post, get] = await s.agent.app2.http(app1(), 80, [
      { method: "POST", path: "/public" },
      { method: "GET", path: "/public" },
    ]);
    expect(post.status).toBe(403);
    expect(get.status).toBe(200);
    const app3 = await s.agent.app3.http(app1(), 80, [{ method: "GET", path: "/public" }], 1000);
    expect(app3[0]).toMatchObject({ status: 0, error: "timeout" });
  });

  it("observe --verdict DROPPED shows app3's drops: the kernel's default deny (POLICY_DENIED), then an explicit deny named with --print-policy-names", async () => {
    const drops = await s.observe(["--verdict", "DROPPED", "--from-pod", "default/app3"]);
    expect(drops.length).toBeGreaterThan(0);
    for (const f of drops) {
      expect(f).toMatchObject({ verdict: "DROPPED", drop_reason_desc: "POLICY_DENIED", destination: { pod_name: "app1" } });
    }
    const r = await s.applyCli(DENY_APP3);
    expect(r.code, r.stderr).toBe(0);
    expect((await s.agent.app3.tcp(app1(), 80)).r).toBe("timeout");
    const named = await waitFor("a named drop of app3", async () => {
      const out = await s.cli(["observe", "--last", "500", "--verdict", "DROPPED", "--from-pod", "default/app3", "--print-policy-names"]);
      return out.stdout.split("\n").find((l) => l.includes("ingress-denied-by: default/app1-deny-app3"));
    });
    expect(named).toMatch(/default\/app3:\d+ .*default\/app1:80 .*policy-verdict:L3-Only INGRESS DENIED/);
    const json = await s.observe(["--verdict", "DROPPED", "--type", "policy-verdict", "--from-pod", "default/app3"]);
    expect(json.find((f) => f.drop_reason_desc === "POLICY_DENY")).toMatchObject({
      traffic_direction: "INGRESS",
      ingress_denied_by: [{ name: "app1-deny-app3", namespace: "default", kind: "CiliumNetworkPolicy" }],
    });
  });

  it("observe --type policy-verdict --print-policy-names: app2's connection allowed by app1-founding (redirected to the proxy)", async () => {
    const out = await s.cli(["observe", "--last", "500", "--type", "policy-verdict", "--from-pod", "default/app2", "--print-policy-names"]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(
      /default\/app2:\d+ .*default\/app1:80 .*policy-verdict:L3-L4 INGRESS ALLOWED .*ingress-allowed-by: default\/app1-founding/,
    );
    const verdicts = await s.observe(["--type", "policy-verdict", "--from-pod", "default/app2", "--to-port", "80"]);
    expect(verdicts.length).toBeGreaterThan(0);
    expect(verdicts[0]).toMatchObject({ event_type: { type: 5 }, ingress_allowed_by: [{ name: "app1-founding" }] });
  });

  it("observe --type l7: the 403s as L7 flows (DROPPED, method, url, code), the allowed GET as a 200 response", async () => {
    const flows = await waitFor("L7 flows of app2", async () => {
      const f = await s.observe(["--type", "l7", "--from-pod", "default/app2"]);
      return f.filter((x) => x.l7?.http?.code === 403).length >= 2 ? f : undefined;
    });
    const denied = flows.filter((f) => f.verdict === "DROPPED");
    expect(denied.map((f) => `${f.l7.http.method} ${new URL(f.l7.http.url).pathname} ${f.l7.http.code}`)).toEqual(
      expect.arrayContaining(["GET /restricted 403", "POST /public 403"]),
    );
    for (const f of denied) expect(f).toMatchObject({ Type: "L7", traffic_direction: "INGRESS", destination: { pod_name: "app1" } });
    expect(flows.some((f) => f.verdict === "FORWARDED" && f.l7.type === "RESPONSE" && f.l7.http.code === 200)).toBe(true);
    const compact = await s.cli(["observe", "--last", "500", "--type", "l7", "--verdict", "DROPPED", "--from-pod", "default/app2"]);
    expect(compact.stdout).toMatch(/http-request DROPPED .*POST http:\/\/\S+\/public/);
  });
});
