// The collector is SIGKILLed while traffic flows: pinned maps, kept tc filters, socket links and the
// L7 proxy (a process of its own) go on enforcing — app2's L7-checked GET /public keeps working,
// GET /restricted keeps getting 403, app3 stays dropped — and a collector restarted on the same pin
// path and state dir adopts all of it with no gap, lists the policies and reports flows again.

import { sleep, waitFor } from "@flowlens/test-harness/run";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Attempt } from "./lib/agent.js";
import { cnp, epochMs, type JsonFlow, type PolicySuite, policySuite } from "./lib/suite.js";

const FOUNDING = cnp(
  "app1-policy",
  `  endpointSelector:
    matchLabels: {app: app1}
  ingress:
    - fromEndpoints: [{matchLabels: {app: app2}}]
      toPorts:
        - ports: [{port: "80", protocol: TCP}]
          rules:
            http: [{method: GET, path: /public}]
`,
);

let s: PolicySuite;
const app1 = () => s.ip("app1");
const GET = (path: string) => ({ method: "GET", path });

beforeAll(async () => {
  s = await policySuite({
    prefix: "p4g",
    pods: ["app1", "app2", "app3"].map((name) => ({ name, namespace: "default", labels: { app: name } })),
    tcp: [80],
  });
  const r = await s.applyCli(FOUNDING);
  expect(r.code, r.stderr).toBe(0);
  // Apply returned once the proxy listened: its first requests are checked by it.
  expect((await s.agent.app2.http(app1(), 80, [GET("/public"), GET("/restricted")])).map((a) => a.status)).toEqual([200, 403]);
});

afterAll(async () => {
  await s?.cleanup();
});

/** What the policy says, checked on one keep-alive connection and one new connection of app3. */
async function enforced(): Promise<void> {
  const answers = await s.agent.app2.http(app1(), 80, [GET("/public"), GET("/restricted"), GET("/public")]);
  expect(answers.map((a) => a.status)).toEqual([200, 403, 200]);
  expect((await s.agent.app3.tcp(app1(), 80, 500)).r).toBe("timeout");
}

describe("collector killed while traffic flows", () => {
  let killedAt = 0;
  let restartedAt = 0;
  let app2: Attempt[] = [];
  let app3: Attempt[] = [];

  it("enforcement goes on while it is dead, and a restarted collector adopts it with no gap", async () => {
    await s.agent.app2.startLoop("get", app1(), 80, { intervalMs: 20, timeoutMs: 2000, path: "/public" });
    await s.agent.app3.startLoop("syn", app1(), 80, { intervalMs: 20, timeoutMs: 300 });
    try {
      await sleep(500);
      await s.restart({
        kill: true,
        beforeStart: async () => {
          killedAt = epochMs();
          expect(s.collector.process.process.exitCode ?? s.collector.process.process.signalCode).toBe("SIGKILL");
          await enforced();
          await sleep(1000);
          restartedAt = epochMs();
        },
      });
      await enforced();
      await sleep(500);
    } finally {
      app2 = await s.agent.app2.stopLoop("get");
      app3 = await s.agent.app3.stopLoop("syn");
    }
    const during = (a: Attempt[]) => a.filter((x) => x.start >= killedAt && x.start < restartedAt).length;
    console.log(
      `restart: ${app2.length} GET /public and ${app3.length} app3 connects, ${during(app2)} and ${during(app3)} of them while no collector ran`,
    );
    expect(during(app2)).toBeGreaterThan(10);
    expect(during(app3)).toBeGreaterThan(10);
    expect(app2.filter((a) => a.r !== "200")).toEqual([]);
    expect(app3.filter((a) => a.r !== "timeout")).toEqual([]);
  });

  it("the restarted collector still lists the policy and answers trace with it", async () => {
    const list = await s.cli(["policy", "list"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^default\s+app1-policy\s+CiliumNetworkPolicy\s+1\s+no\s/m);
    const trace = await s.cli(["policy", "trace", "--from-pod", "default/app3", "--to-pod", "default/app1", "--dport", "80"]);
    expect(trace.stdout).toContain("Final verdict: DROPPED");
  });

  it("flows again: new verdicts after the restart, and the proxy's buffered L7 events of the outage", async () => {
    const since = new Date(restartedAt).toISOString();
    const drops = await waitFor("app3 drops after the restart", async () => {
      const f = await s.observe(["--verdict", "DROPPED", "--from-pod", "default/app3", "--since", since]);
      return f.length ? f : undefined;
    });
    expect(drops[0]).toMatchObject({ drop_reason_desc: "POLICY_DENIED", destination: { pod_name: "app1" } });
    // Events older than the restarted collector still name their pods (the endpoints that have those
    // addresses now, with the identities the proxy saw), so they are found by pod.
    const t = (x: JsonFlow) => Date.parse(x.time);
    const l7 = await waitFor("L7 flows from the outage", async () => {
      const f = await s.observe(["--type", "l7", "--from-pod", "default/app2"], 4000);
      const outage = f.filter((x) => t(x) >= killedAt && t(x) < restartedAt);
      return outage.some((x) => x.l7?.http?.code === 403) ? outage : undefined;
    });
    expect(l7.filter((x) => x.l7.type === "REQUEST" && x.verdict === "FORWARDED").length).toBeGreaterThan(10);
    for (const x of l7) {
      expect(x.source).toMatchObject({ namespace: "default", pod_name: "app2" });
      expect(x.destination).toMatchObject({ namespace: "default", pod_name: "app1" });
    }
    expect(l7.find((x) => x.l7.http.code === 403)).toMatchObject({
      verdict: "DROPPED",
      IP: { source: s.ip("app2"), destination: app1() },
      l7: { http: { method: "GET", url: `http://${app1()}/restricted` } },
    });
  });
});
