// `flowlens policy trace` agrees with the datapath on the shared table of policy cases
// (@flowlens/policy policyCases): for each case its policies are applied to the collector, the real
// connection is made (TCP, UDP, or HTTP for L7 cases) and its outcome, the trace's verdict and the
// expected verdict must agree. Addresses outside the pods live in a "world" namespace. Cases from
// the host or to an outside address are traced by address (--from-ip the host's bridge address,
// --to-ip the outside one), which the collector resolves as the kernel does: the identities it
// reports must be the package's for that case.
import {
  type PolicyCase,
  type PolicyCasePeer,
  policyCaseEndpoints,
  policyCaseIdentity,
  policyCases,
  policyCaseWorldAddresses,
  tracePolicyCase,
} from "@flowlens/policy";
import { waitFor } from "@flowlens/test-harness/run";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PolicySuite, policySuite } from "./lib/suite.js";

const PODS: Record<string, string> = { "default/app1": "app1", "default/app2": "app2", "default/app3": "app3", "other/app2": "app2o" };
const TCP_PORTS = [...new Set([80, 81, ...policyCases.filter((c) => c.query.proto === "TCP").map((c) => c.query.dport)])];
const UDP_PORTS = [...new Set(policyCases.filter((c) => c.query.proto === "UDP").map((c) => c.query.dport))];
const DROP_WAIT_MS = 700; // an allowed connection on this bridge takes about a millisecond

let s: PolicySuite;
let auditMode = false;

/** Cases sharing policies (and global audit) are checked under one apply; global audit ones last. */
const groups: PolicyCase[][] = [];
for (const c of [...policyCases].sort((a, b) => Number(!!a.audit) - Number(!!b.audit))) {
  const g = groups.find((x) => x[0].policies === c.policies && !!x[0].audit === !!c.audit);
  if (g) g.push(c);
  else groups.push([c]);
}

beforeAll(async () => {
  s = await policySuite({
    prefix: "p4h",
    pods: policyCaseEndpoints.map((e) => ({ name: PODS[e.id], namespace: e.namespace, labels: e.labels })),
    tcp: TCP_PORTS,
    udp: UDP_PORTS,
    world: policyCaseWorldAddresses,
  });
});

afterAll(async () => {
  await s?.cleanup();
});

const podRef = (id: string) => `${id.split("/")[0]}/${PODS[id]}`;

/** The real connection of a case: did it get through, and how it ended. */
async function datapath(c: PolicyCase): Promise<{ passed: boolean; outcome: string }> {
  const q = c.query;
  const agent = q.from === "host" ? s.host : s.agent[PODS[q.from as string]];
  const dst = typeof q.to === "string" ? s.ip(PODS[q.to]) : q.to.ip;
  if (q.httpMethod !== undefined && q.httpPath !== undefined) {
    const req = [{ method: q.httpMethod, path: q.httpPath }];
    // Apply returned once the proxy listened for a new L7 endpoint: a reset here would be a bug, not
    // a wait (every port has a server, and a policy drop is silence).
    const [a] = await agent.http(dst, q.dport, req, DROP_WAIT_MS * 2);
    expect(a.error ?? "", `HTTP ${q.httpMethod} ${q.httpPath} of "${c.name}"`).not.toMatch(/ECONNREFUSED|ECONNRESET/);
    return { passed: a.status === 200, outcome: a.status ? `HTTP ${a.status}` : (a.error ?? "no answer") };
  }
  const r = q.proto === "UDP" ? await agent.udp(dst, q.dport, DROP_WAIT_MS) : await agent.tcp(dst, q.dport, DROP_WAIT_MS);
  return { passed: r.r === "connected" || r.r === "reply", outcome: r.r };
}

/** The trace options naming one side of a case: a pod, the host by its address on the pods' bridge, or an outside address. */
function sideArgs(side: "from" | "to", peer: PolicyCasePeer): string[] {
  if (typeof peer !== "string") return [`--${side}-ip`, peer.ip];
  if (peer === "host") return [`--${side}-ip`, s.pods.hostIpv4];
  return [`--${side}-pod`, podRef(peer)];
}

/** `flowlens policy trace` for a case: its final verdict line and full output. */
async function cliTrace(c: PolicyCase): Promise<{ verdict: string; text: string }> {
  const q = c.query;
  const args = ["policy", "trace", ...sideArgs("from", q.from), ...sideArgs("to", q.to), "--dport", String(q.dport)];
  args.push("--protocol", q.proto);
  if (q.httpMethod !== undefined && q.httpPath !== undefined) args.push("--http-method", q.httpMethod, "--http-path", q.httpPath);
  const r = await s.cli(args);
  expect(r.code, r.stderr).toBe(0);
  const m = /^Final verdict: (\w+)/m.exec(r.stdout);
  return { verdict: m?.[1] ?? `(no verdict in: ${r.stdout})`, text: r.stdout };
}

/** An AUDIT case also shows as an AUDIT flow of that connection. */
async function auditFlow(c: PolicyCase, since: string): Promise<void> {
  const q = c.query;
  const args = ["--verdict", "AUDIT", "--since", since, "--from-pod", podRef(q.from as string), "--to-pod", podRef(q.to as string)];
  if (q.httpMethod) args.push("--type", "l7");
  await waitFor(`an AUDIT flow for "${c.name}"`, async () => {
    const f = await s.observe(args);
    return f.some((x) => (x.l4?.TCP ?? x.l4?.UDP)?.destination_port === q.dport);
  });
}

for (const group of groups) {
  describe(`${group[0].audit ? "global audit: " : ""}policies of "${group[0].name}"`, () => {
    beforeAll(async () => {
      if (!!group[0].audit !== auditMode) {
        await s.deleteAll();
        auditMode = !!group[0].audit;
        await s.restart({ args: auditMode ? ["--policy-audit-mode"] : [] });
      }
      const { res } = await s.applyRpc(group[0].policies);
      expect(res.errors).toEqual([]);
    });
    afterAll(async () => {
      await s.deleteAll();
    });

    it.each(group.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
      const since = new Date(Date.now() - 1000).toISOString();
      const { compiled, result: lib } = tracePolicyCase(c);
      expect(lib.verdict, "the package's trace").toBe(c.expected);
      const dp = await datapath(c);
      expect(dp.passed ? "passed" : "blocked", `datapath (${dp.outcome})`).toBe(c.expected === "DROPPED" ? "blocked" : "passed");
      const t = await cliTrace(c);
      expect(t.verdict, t.text).toBe(c.expected);
      // The collector resolved both sides to the identities the package gives them.
      const [head] = t.text.split("\n");
      expect(head, t.text).toMatch(new RegExp(`^Tracing From: .*\\(identity ${policyCaseIdentity(compiled, c, c.query.from)}\\) => To: `));
      expect(head, t.text).toMatch(new RegExp(` => To: .*\\(identity ${policyCaseIdentity(compiled, c, c.query.to)}\\) Port: `));
      // Same deciding rule as the package's trace of the same case.
      if (lib.rule && lib.rule.ruleId !== 0) expect(t.text).toContain(lib.rule.description);
      const betweenPods = typeof c.query.from === "string" && c.query.from !== "host" && typeof c.query.to === "string";
      if (c.expected === "AUDIT" && betweenPods) await auditFlow(c, since);
    });
  });
}
