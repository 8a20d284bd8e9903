// Policy updates under steady traffic: app2 opens a new connection to app1 every 10 ms while the
// policy is applied, updated (allow -> deny -> allow) and deleted through the CLI and the Policies
// service. Every connection started 100 ms or more after the call returned must follow the new
// rules; the measured switch time (first connection from which on all follow them, relative to
// the return) is printed. The same for an HTTP rule change on an L7 port.
import { writeFileSync } from "node:fs";
import { sleep } from "@flowlens/test-harness/run";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Attempt } from "./lib/agent.js";
import { cnp, epochMs, type PolicySuite, policySuite } from "./lib/suite.js";

const HOLD_MS = 600; // how long each state is observed
const GRACE_MS = 100; // the bound: new connections follow the rules this long after the return

let s: PolicySuite;
const app1 = () => s.ip("app1");

const fromPeer = (peer: string) =>
  cnp(
    "app1-in",
    `  endpointSelector:\n    matchLabels: {app: app1}\n  ingress:\n    - fromEndpoints: [{matchLabels: {app: ${peer}}}]\n      toPorts: [{ports: [{port: "80", protocol: TCP}]}]\n`,
  );
const httpRule = (path: string) =>
  cnp(
    "app1-l7",
    `  endpointSelector:\n    matchLabels: {app: app1}\n  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts:\n        - ports: [{port: "81", protocol: TCP}]\n          rules:\n            http: [{method: GET, path: ${path}}]\n`,
  );

interface Change {
  what: string;
  invokedAt: number;
  returnedAt: number;
  /** Outcome every later connection must have. */
  expect: string;
}

/** Runs `call` (an apply or delete), recording when it was invoked and when it returned. */
async function change(what: string, expectAfter: string, call: () => Promise<number | undefined>): Promise<Change> {
  const invokedAt = epochMs();
  const returned = await call();
  return { what, invokedAt, returnedAt: returned ?? epochMs(), expect: expectAfter };
}

/**
 * Checks every attempt started GRACE_MS after a change returned (and before the next change) and
 * returns the switch time of each change: from its return to the first attempt from which on all
 * attempts of its window had the new outcome (negative: in force before the caller saw the return).
 */
function analyse(attempts: Attempt[], changes: Change[]): { what: string; switchMs: number; checked: number }[] {
  return changes.map((c, i) => {
    const end = changes[i + 1]?.invokedAt ?? Number.POSITIVE_INFINITY;
    const window = attempts.filter((a) => a.start >= c.invokedAt && a.start < end);
    const late = window.filter((a) => a.start >= c.returnedAt + GRACE_MS);
    const wrong = late.filter((a) => a.r !== c.expect);
    expect(
      wrong.map((a) => `${(a.start - c.returnedAt).toFixed(1)} ms after return: ${a.r}`),
      `${c.what}: expected ${c.expect}`,
    ).toEqual([]);
    expect(late.length, `${c.what}: connections checked`).toBeGreaterThan(HOLD_MS / 10 / 3);
    const lastOld = window.filter((a) => a.r !== c.expect).at(-1);
    const firstNew = lastOld ? window.find((a) => a.start > lastOld.start) : window[0];
    return { what: c.what, switchMs: (firstNew?.start ?? c.returnedAt) - c.returnedAt, checked: late.length };
  });
}

function report(label: string, rows: { what: string; switchMs: number; checked: number }[]): void {
  for (const r of rows)
    console.log(`${label}: ${r.what}: new connections follow ${r.switchMs.toFixed(1)} ms after the return (${r.checked} checked later)`);
}

beforeAll(async () => {
  s = await policySuite({
    prefix: "p4e",
    pods: ["app1", "app2", "app3"].map((name) => ({ name, namespace: "default", labels: { app: name } })),
    tcp: [80, 81],
  });
});

afterAll(async () => {
  await s?.cleanup();
});

describe("policy updates under steady traffic", () => {
  it("L3/L4: apply (deny app2), update to allow, update to deny, delete — each within 100 ms of the return", async () => {
    await s.agent.app2.startLoop("l4", app1(), 80);
    let attempts: Attempt[] = [];
    const changes: Change[] = [];
    try {
      await sleep(HOLD_MS);
      const rpc = async (yaml: string) => {
        const { res, returnedAt } = await s.applyRpc(yaml);
        expect(res.errors).toEqual([]);
        return returnedAt;
      };
      const cli = async (args: string[]) => {
        const r = await s.adminCli(args);
        expect(r.code, r.stderr).toBe(0);
        return undefined; // the CLI's exit is the return
      };
      const file = (yaml: string) => {
        const path = `${s.tmp}/update-${changes.length}.yaml`;
        writeFileSync(path, yaml);
        return path;
      };
      changes.push(await change("apply over RPC (only app3 allowed)", "timeout", () => rpc(fromPeer("app3"))));
      await sleep(HOLD_MS);
      changes.push(
        await change("update with flowlens policy apply (app2 allowed)", "connected", () =>
          cli(["policy", "apply", "-f", file(fromPeer("app2"))]),
        ),
      );
      await sleep(HOLD_MS);
      changes.push(await change("update over RPC (only app3 allowed)", "timeout", () => rpc(fromPeer("app3"))));
      await sleep(HOLD_MS);
      changes.push(await change("flowlens policy delete", "connected", () => cli(["policy", "delete", "app1-in"])));
      await sleep(HOLD_MS);
    } finally {
      attempts = await s.agent.app2.stopLoop("l4");
    }
    const before = attempts.filter((a) => a.start < changes[0].invokedAt);
    expect(before.length).toBeGreaterThan(10);
    expect(before.every((a) => a.r === "connected")).toBe(true);
    report("update L3/L4", analyse(attempts, changes));
  });

  it("L7: an HTTP rule change reaches the proxy for the next connections within 100 ms (200 -> 403 -> 200)", async () => {
    const { res } = await s.applyRpc(httpRule("/public"));
    expect(res.errors).toEqual([]);
    // Port 81 just became L7: Apply returned once the proxy listened, so the first request is its.
    expect((await s.agent.app2.http(app1(), 81, [{ method: "GET", path: "/public" }]))[0].status).toBe(200);
    await s.agent.app2.startLoop("l7", app1(), 81, { path: "/public", timeoutMs: 1000 });
    let attempts: Attempt[] = [];
    const changes: Change[] = [];
    try {
      await sleep(HOLD_MS);
      for (const [path, status] of [
        ["/other", "403"],
        ["/public", "200"],
      ]) {
        changes.push(
          await change(`HTTP rule GET ${path}`, status, async () => {
            const r = await s.applyRpc(httpRule(path));
            expect(r.res.errors).toEqual([]);
            return r.returnedAt;
          }),
        );
        await sleep(HOLD_MS);
      }
    } finally {
      attempts = await s.agent.app2.stopLoop("l7");
    }
    expect(attempts.filter((a) => a.start < changes[0].invokedAt).every((a) => a.r === "200")).toBe(true);
    report("update L7", analyse(attempts, changes));
  });
});
