// Issue 8's L7 path bypass through the whole stack (collector, kernel redirect, L7 proxy, observe):
// under {method: GET, path: "/public/.*"} the reported requests /public/../restricted,
// /public/%2e%2e/restricted and /public//../restricted are denied; an allowed request reaches the
// server with its normalized path; an ambiguous one is refused with 400; each is an L7 flow.
// (services/l7proxy/test/bypass.test.ts has the full table against a server that resolves paths.)

import { waitFor } from "@flowlens/test-harness/run";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cnp, type JsonFlow, type PolicySuite, policySuite } from "./lib/suite.js";

const PUBLIC_ONLY = cnp(
  "app1-public-only",
  `  endpointSelector:
    matchLabels: {app: app1}
  ingress:
    - fromEndpoints:
        - matchLabels: {app: app2}
      toPorts:
        - ports: [{port: "80", protocol: TCP}]
          rules:
            http: [{method: GET, path: "/public/.*"}]
`,
);

let s: PolicySuite;
const app1 = () => s.ip("app1");
const get = (path: string) => ({ method: "GET", path });

beforeAll(async () => {
  s = await policySuite({
    prefix: "p8n",
    pods: ["app1", "app2"].map((name) => ({ name, namespace: "default", labels: { app: name } })),
    tcp: [80],
  });
  const r = await s.applyCli(PUBLIC_ONLY);
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  await s?.cleanup();
});

describe("L7 path normalization end to end", () => {
  it("the reported bypasses get 403; allowed requests reach the server with the normalized path", async () => {
    const answers = await s.agent.app2.http(app1(), 80, [
      get("/public/a"),
      get("/public/../restricted"),
      get("/public/%2e%2e/restricted"),
      get("/public//../restricted"),
      get("/public/./b//c"),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 403, 403, 403, 200]);
    expect(answers[0].body).toBe("ok GET /public/a\n");
    expect(answers[4].body).toBe("ok GET /public/b/c\n");
    expect(new Set(answers.map((a) => a.localPort)).size).toBe(1); // one keep-alive connection
  });

  it("an encoded slash is refused with 400 and the connection closes", async () => {
    const [slash, next] = await s.agent.app2.http(app1(), 80, [get("/public/%2F../restricted"), get("/public/a")]);
    expect(slash.status).toBe(400);
    expect(slash.body).toBe("bad request: encoded slash (%2F) in the path\r\n");
    expect(next.status).toBe(200);
    expect(next.reused).toBe(false);
  });

  it("observe shows each denial as a DROPPED L7 flow with the normalized URL, and the refusal with code 400", async () => {
    const flows = await waitFor("the L7 drops", async () => {
      const f = await s.observe(["--type", "l7", "--verdict", "DROPPED", "--from-pod", "default/app2"]);
      return f.filter((x: JsonFlow) => x.l7?.http).length >= 4 ? f : undefined;
    });
    const http = flows.map((f: JsonFlow) => `${f.l7.http.code} ${f.l7.http.url}`);
    const ip = app1();
    expect(http.filter((h: string) => h === `403 http://${ip}/restricted`)).toHaveLength(3);
    expect(http).toContain(`400 http://${ip}/public/%2F../restricted`);
  });
});
