import { describe, expect, it } from "vitest";
import { policyCases } from "./cases.js";
import { compilePolicies } from "./compile.js";
import { endpointIdentity } from "./identity.js";
import { parsePolicyDocuments } from "./parse.js";
import { tracePolicy } from "./trace.js";

const APP1 = { identity: endpointIdentity("default", { app: "app1" }), name: "default/app1" };
const APP2 = { identity: endpointIdentity("default", { app: "app2" }), name: "default/app2" };
const APP3 = { identity: endpointIdentity("default", { app: "app3" }), name: "default/app3" };

function compiled(yaml: string, audit = false) {
  const { policies, errors } = parsePolicyDocuments([{ source: "t", text: yaml }]);
  expect(errors).toEqual([]);
  const eps = [APP1, APP2, APP3].map((e) => ({ identity: e.identity, namespace: "default", labels: { app: e.name.split("/")[1] } }));
  return compilePolicies(policies, eps, { audit });
}

const founding = policyCases[0].policies;

describe("tracePolicy", () => {
  it("explains the founding example step by step, naming the deciding rule", () => {
    const c = compiled(founding);
    const ok = tracePolicy(c, { from: APP2, to: APP1, dport: 80, proto: "TCP", httpMethod: "GET", httpPath: "/public" });
    expect(ok.verdict).toBe("FORWARDED");
    expect(ok.decidedBy).toBe("http");
    expect(ok.rule?.policies).toEqual([{ name: "app1-policy", namespace: "default", kind: "CiliumNetworkPolicy" }]);
    expect(ok.egress.enforced).toBe(false);
    expect(ok.ingress).toMatchObject({ enforced: true, verdict: "FORWARDED", l7: true, matchType: 2 });
    expect(ok.lines).toEqual([
      `Tracing From: default/app2 (identity ${APP2.identity}) => To: default/app1 (identity ${APP1.identity}) Port: 80/TCP`,
      `Egress from default/app2 (identity ${APP2.identity}): no policy enforced in this direction: allowed`,
      `Ingress to default/app1 (identity ${APP1.identity}): allowed and redirected to the L7 proxy by rule 1 (match L3-L4): ingress allow from {app=app2} to TCP/80 with HTTP GET /public (default/app1-policy ingress[0])`,
      "HTTP GET /public: allowed by rule 1: ingress allow from {app=app2} to TCP/80 with HTTP GET /public (default/app1-policy ingress[0])",
      "Final verdict: FORWARDED",
    ]);

    const denied = tracePolicy(c, { from: APP2, to: APP1, dport: 80, httpMethod: "GET", httpPath: "/restricted" });
    expect(denied).toMatchObject({ verdict: "DROPPED", decidedBy: "http", http: { allowed: false, ruleId: 0 } });
    expect(denied.lines.at(-2)).toContain("denied with 403 Forbidden");
    expect(denied.lines.at(-1)).toBe("Final verdict: DROPPED (HTTP 403)");

    // The proxy's view: the normalized path, ambiguous targets refused with 400.
    const dots = tracePolicy(c, { from: APP2, to: APP1, dport: 80, httpMethod: "GET", httpPath: "/public/../restricted" });
    expect(dots).toMatchObject({ verdict: "DROPPED", decidedBy: "http" });
    expect(dots.lines.at(-1)).toBe("Final verdict: DROPPED (HTTP 403)");
    const query = tracePolicy(c, { from: APP2, to: APP1, dport: 80, httpMethod: "GET", httpPath: "/public?x=/../restricted" });
    expect(query.verdict).toBe("FORWARDED");
    const slash = tracePolicy(c, { from: APP2, to: APP1, dport: 80, httpMethod: "GET", httpPath: "/public%2F" });
    expect(slash).toMatchObject({ verdict: "DROPPED", decidedBy: "http" });
    expect(slash.lines.at(-2)).toBe("HTTP GET /public%2F: refused with 400 Bad Request: encoded slash (%2F) in the path");
    expect(slash.lines.at(-1)).toBe("Final verdict: DROPPED (HTTP 400)");

    const l3 = tracePolicy(c, { from: APP3, to: APP1, dport: 80 });
    expect(l3).toMatchObject({ verdict: "DROPPED", dropReason: "POLICY_DENIED", decidedBy: "ingress", rule: c.rules[0] });
    expect(l3.lines[2]).toContain("denied: no rule allows it (default deny, POLICY_DENIED)");

    const noHttp = tracePolicy(c, { from: APP2, to: APP1, dport: 80 });
    expect(noHttp.verdict).toBe("REDIRECTED");
  });

  it("an egress deny decides before the ingress side", () => {
    const c = compiled(`${founding}---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: app2-out}
spec:
  endpointSelector: {matchLabels: {app: app2}}
  egressDeny:
    - toEndpoints: [{matchLabels: {app: app1}}]
  egress:
    - toEntities: [all]
`);
    const t = tracePolicy(c, { from: APP2, to: APP1, dport: 80, httpMethod: "GET", httpPath: "/public" });
    expect(t).toMatchObject({ verdict: "DROPPED", dropReason: "POLICY_DENY", decidedBy: "egress" });
    expect(t.rule?.description).toBe("egress deny to {app=app1} on any port (default/app2-out egressDeny[0])");
    expect(t.lines[1]).toContain("denied by rule");
  });

  it("audit: passes, says AUDIT, names the would-be reason; nothing enforced says so", () => {
    const t = tracePolicy(compiled(founding, true), { from: APP3, to: APP1, dport: 80 });
    expect(t).toMatchObject({ verdict: "AUDIT", dropReason: "POLICY_DENIED", decidedBy: "ingress" });
    expect(t.lines[2]).toContain("audit mode: passes, reported as AUDIT");
    const open = tracePolicy(compiled(founding), { from: APP1, to: APP3, dport: 22 });
    expect(open).toMatchObject({ verdict: "FORWARDED", decidedBy: "none", rule: undefined });
    const world = tracePolicy(compiled(founding), { from: { identity: 2 }, to: APP1, dport: 80 });
    expect(world.lines[0]).toContain("From: reserved:world (identity 2)");
  });
});
