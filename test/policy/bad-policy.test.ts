// Bad policies are rejected whole: `flowlens policy apply` exits 1 and lists every error (file,
// line, path in the YAML, reason) — unknown field, bad selector, bad CIDR, bad regex, port 70000 —
// and nothing is applied: the policy list and the traffic stay as they were, also for the valid
// documents next to the bad ones (a directory, stdin).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI_BIN } from "@flowlens/test-harness/collector";
import { run } from "@flowlens/test-harness/run";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cnp, type PolicySuite, policySuite } from "./lib/suite.js";

const BASELINE = cnp(
  "app1-in",
  "  endpointSelector:\n    matchLabels: {app: app1}\n  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '80', protocol: TCP}]}]\n",
);
/** Valid, and would let app3 in: it must not take effect when applied beside a bad document. */
const LET_APP3_IN = cnp(
  "let-app3-in",
  "  endpointSelector:\n    matchLabels: {app: app1}\n  ingress:\n    - fromEndpoints: [{matchLabels: {app: app3}}]\n",
);

const app1Rule = (name: string, body: string) => cnp(name, `  endpointSelector:\n    matchLabels: {app: app1}\n${body}`);
/** One document per kind of error; `marker` is the text on the line the error must name. */
const BAD: { doc: string; marker: string; path: string; reason: RegExp }[] = [
  {
    doc: app1Rule("unknown-field", "  ingress:\n    - fromEndpointz:\n        - matchLabels: {app: app3}\n"),
    marker: "fromEndpointz",
    path: "spec.ingress[0].fromEndpointz",
    reason: /unknown field "fromEndpointz"/,
  },
  {
    doc: cnp(
      "bad-selector",
      "  endpointSelector:\n    matchExpressions:\n      - {key: app, operator: Inn, values: [app1]}\n  ingress:\n    - fromEndpoints: [{matchLabels: {app: app3}}]\n",
    ),
    marker: "operator: Inn",
    path: "spec.endpointSelector.matchExpressions[0].operator",
    reason: /operator "Inn"/,
  },
  {
    doc: app1Rule("bad-cidr", "  egress:\n    - toCIDR: [10.0.0.300/24]\n"),
    marker: "10.0.0.300/24",
    path: "spec.egress[0].toCIDR[0]",
    reason: /"10\.0\.0\.300\/24" is not an IPv4 or IPv6 prefix/,
  },
  {
    doc: app1Rule(
      "bad-regex",
      '  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts:\n        - ports: [{port: "80", protocol: TCP}]\n          rules:\n            http: [{method: GET, path: "/public(["}]\n',
    ),
    marker: "/public([",
    path: "spec.ingress[0].toPorts[0].rules.http[0].path",
    reason: /not a valid RE2 regular expression: missing closing \]/,
  },
  {
    doc: app1Rule(
      "bad-port",
      '  ingress:\n    - fromEndpoints: [{matchLabels: {app: app3}}]\n      toPorts:\n        - ports: [{port: "70000", protocol: TCP}]\n',
    ),
    marker: '"70000"',
    path: "spec.ingress[0].toPorts[0].ports[0].port",
    reason: /70000 is out of range 1-65535/,
  },
];

/** 1-based line of the first occurrence of `marker` in `text`. */
const lineOf = (text: string, marker: string) => text.slice(0, text.indexOf(marker)).split("\n").length;

let s: PolicySuite;
let listBefore: string;

beforeAll(async () => {
  s = await policySuite({
    prefix: "p4i",
    pods: ["app1", "app2", "app3"].map((name) => ({ name, namespace: "default", labels: { app: name } })),
    tcp: [80],
  });
  const r = await s.applyCli(BASELINE);
  expect(r.code, r.stderr).toBe(0);
  listBefore = (await s.cli(["policy", "list", "-o", "json"])).stdout;
});

afterAll(async () => {
  await s?.cleanup();
});

/** The list (revisions included) and the traffic are what the baseline made them. */
async function unchanged(): Promise<void> {
  const list = await s.cli(["policy", "list", "-o", "json"]);
  expect(list.code, list.stderr).toBe(0);
  expect(list.stdout).toBe(listBefore);
  const [app2, app3] = await Promise.all([s.agent.app2.tcp(s.ip("app1"), 80), s.agent.app3.tcp(s.ip("app1"), 80)]);
  expect([app2.r, app3.r]).toEqual(["connected", "timeout"]);
}

/** stderr of a rejected apply: the error lines and the summary line, no stack trace. */
function rejected(r: { code: number; stderr: string }, errors: number): string[] {
  expect(r.code).toBe(1);
  const lines = r.stderr.trim().split("\n");
  expect(lines.at(-1)).toBe(`flowlens policy apply: rejected: ${errors} error${errors === 1 ? "" : "s"}, nothing applied`);
  expect(lines.filter((l) => /^\s+at /.test(l))).toEqual([]);
  return lines.slice(0, -1);
}

describe("bad policies", () => {
  it("one file with five bad documents and a good one: every error listed with file, line, path and reason", async () => {
    const text = [...BAD.map((b) => b.doc), LET_APP3_IN].join("---\n");
    const r = await s.applyCli(text);
    const lines = rejected(r, BAD.length);
    expect(lines).toHaveLength(BAD.length);
    BAD.forEach((b, i) => {
      const prefix = `${r.file}:${lineOf(text, b.marker)}: ${b.path}: `;
      expect(lines[i].startsWith(prefix), `${lines[i]}\nshould start with ${prefix}`).toBe(true);
      expect(lines[i]).toMatch(b.reason);
    });
    await unchanged();
  });

  it("a directory with a good file and a bad one is rejected whole", async () => {
    const dir = join(s.tmp, "dir");
    mkdirSync(dir);
    writeFileSync(join(dir, "a-good.yaml"), LET_APP3_IN);
    writeFileSync(join(dir, "b-bad.yaml"), BAD[4].doc);
    const r = await s.adminCli(["policy", "apply", "-f", dir]);
    const [line] = rejected(r, 1);
    expect(line.startsWith(`${join(dir, "b-bad.yaml")}:${lineOf(BAD[4].doc, BAD[4].marker)}: ${BAD[4].path}: `), line).toBe(true);
    await unchanged();
  });

  it("stdin (-f -) is named '-' in the errors", async () => {
    const input = `${LET_APP3_IN}---\n${BAD[2].doc}`;
    const r = await run(["node", CLI_BIN, "policy", "apply", "-f", "-", "--server", s.collector.adminAddress], { allowFail: true, input });
    const [line] = rejected(r, 1);
    expect(line.startsWith(`-:${lineOf(input, BAD[2].marker)}: ${BAD[2].path}: `), line).toBe(true);
    await unchanged();
  });

  it("the collector is still serving and still enforcing the baseline", async () => {
    expect(s.collector.output()).not.toMatch(/^\s+at /m);
    const trace = await s.cli(["policy", "trace", "--from-pod", "default/app3", "--to-pod", "default/app1", "--dport", "80"]);
    expect(trace.stdout).toContain("Final verdict: DROPPED");
  });
});
