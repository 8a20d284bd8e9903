// Input limits through the real collector and CLI: YAML aliases, an Apply over the size limit (ours,
// and gRPC's 4 MiB message limit past it) and label keys outside Kubernetes' syntax (in a policy and
// on an endpoint) are refused with one clear line each and exit 1; nothing is applied, the collector
// keeps serving.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Collector, runCli, startCollector } from "@flowlens/test-harness/collector";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cnp } from "./lib/suite.js";

let collector: Collector;
let dir: string;
const cli = (args: string[]) => runCli([...args, "--server", collector.address]);
/** Changes go through the collector's root-only admin socket. */
const adminCli = (args: string[]) => runCli([...args, "--server", collector.adminAddress]);
const applyText = async (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return { file, ...(await adminCli(["policy", "apply", "-f", file])) };
};
const allowApp2 = (name: string, extra = "") =>
  cnp(name, `  endpointSelector:\n    matchLabels: {app: app1}\n  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n${extra}`);
/** No stack trace: every line is a message, none an "at …" frame. */
const noStack = (stderr: string) => expect(stderr).not.toMatch(/^\s+at /m);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "flowlens-p8lim-"));
  collector = await startCollector(["--metrics-address", ""]);
});

afterAll(async () => {
  await collector?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("policy input limits", () => {
  it("refuses YAML aliases", async () => {
    const text = allowApp2("aliased")
      .replace("matchLabels: {app: app1}", "matchLabels: &s {app: app1}")
      .replace("{matchLabels: {app: app2}}", "{matchLabels: *s}");
    const r = await applyText("alias.yaml", text);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${r.file}:9: YAML aliases (*s) are not accepted in policies: write the value out`);
    noStack(r.stderr);
  });

  it("refuses an Apply over the size limit, and one over gRPC's message limit", async () => {
    const padded = (bytes: number) => `# ${"x".repeat(bytes)}\n${allowApp2("big")}`;
    const r = await applyText("big.yaml", padded(3 * 1024 * 1024));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/policy input of at least \d+ bytes is over the limit of 2097152 bytes: apply it in parts/);
    noStack(r.stderr);
    const huge = await applyText("huge.yaml", padded(5 * 1024 * 1024));
    expect(huge.code).not.toBe(0);
    expect(huge.stderr.trim().split("\n")).toHaveLength(1);
    expect(huge.stderr).toMatch(/larger than max|RESOURCE_EXHAUSTED|resource exhausted/i);
  });

  it("refuses label keys outside Kubernetes' syntax in a selector", async () => {
    const r = await applyText("label.yaml", allowApp2("bad-label").replace("{app: app2}", `{"${"k".repeat(64)}": app2}`));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not a valid label key");
    noStack(r.stderr);
  });

  it("refuses an endpoint whose label key is not Kubernetes' syntax", async () => {
    for (const label of ["-app=x", "Example.com/app=x", `app=${"v".repeat(64)}`]) {
      const r = await adminCli(["endpoint", "add", "--name", "p8x", "--netns", "p8x-none", "--interface", "p8x0", "--label", label]);
      expect(r.code, label).not.toBe(0);
      expect(r.stderr, label).toMatch(/is not a valid label (key|value)/);
      noStack(r.stderr);
    }
  });

  it("applied nothing and still serves", async () => {
    const list = await cli(["policy", "list", "-o", "json"]);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).policies ?? []).toEqual([]);
    const ok = await applyText("ok.yaml", allowApp2("fine"));
    expect(ok.code, ok.stderr).toBe(0);
  });
});
