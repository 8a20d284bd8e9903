// `flowlens policy ...` in-process against a real grpc-js server with a fake Policies service.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../testkit.js";
import { type FakePolicyServer, startFakePolicyServer } from "../testkit-policy-server.js";

let fake: FakePolicyServer;
let dir: string;
beforeAll(async () => {
  fake = await startFakePolicyServer();
  dir = mkdtempSync(join(tmpdir(), "flowlens-h4-cli-"));
});
afterAll(async () => {
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

const doc = (name: string) => `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: ${name}\n`;

describe("policy apply", () => {
  it("-f DIR sends *.yaml, *.yml and *.json in name order, and prints what was applied", async () => {
    const d = join(dir, "dir");
    mkdirSync(d);
    writeFileSync(join(d, "b.yml"), doc("b"));
    writeFileSync(join(d, "a.yaml"), doc("a"));
    writeFileSync(join(d, "c.json"), doc("c"));
    writeFileSync(join(d, "notes.txt"), doc("ignored"));
    const r = await runCli(["policy", "apply", "-f", d, "--server", fake.address]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(fake.applied.at(-1)?.documents.map((x) => x.source)).toEqual([join(d, "a.yaml"), join(d, "b.yml"), join(d, "c.json")]);
    expect(r.stdout).toBe(
      [
        "applied default/a (CiliumNetworkPolicy, 1 rule, revision 1)",
        "applied default/b (CiliumNetworkPolicy, 1 rule, revision 1)",
        "applied default/c (CiliumNetworkPolicy, 1 rule, revision 1)",
        "",
      ].join("\n"),
    );
  });

  it("-f - reads standard input", async () => {
    const r = await runCli(["policy", "apply", "-f", "-", "--server", fake.address], {}, doc("from-stdin"));
    expect(r.code).toBe(0);
    expect(fake.applied.at(-1)?.documents).toMatchObject([{ source: "-", yaml: doc("from-stdin") }]);
  });

  it("a rejected apply lists every error on its own line and exits 1", async () => {
    const f = join(dir, "bad.yaml");
    writeFileSync(f, `${doc("x")}BAD: 1\nspec:\n  BAD: 2\n`);
    const r = await runCli(["policy", "apply", "-f", f, "--server", fake.address]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      [
        `${f}:5: spec.endpointSelector: unknown field "BAD"`,
        `${f}:7: spec.endpointSelector: unknown field "BAD"`,
        "flowlens policy apply: rejected: 2 errors, nothing applied",
        "",
      ].join("\n"),
    );
  });

  it("usage errors exit 2: no -f, a missing file, an empty directory", async () => {
    const none = await runCli(["policy", "apply", "--server", fake.address]);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe("flowlens policy apply: -f FILE|DIR|- is required (see 'flowlens policy apply --help')\n");
    const missing = await runCli(["policy", "apply", "-f", join(dir, "nope.yaml"), "--server", fake.address]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`cannot read -f ${join(dir, "nope.yaml")}: ENOENT`);
    mkdirSync(join(dir, "empty"));
    const empty = await runCli(["policy", "apply", "-f", join(dir, "empty"), "--server", fake.address]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("no *.yaml, *.yml or *.json files");
  });

  it("an unreachable collector is a runtime error naming --server", async () => {
    const f = join(dir, "ok.yaml");
    writeFileSync(f, doc("ok"));
    const r = await runCli(["policy", "apply", "-f", f, "--server", "127.0.0.1:1", "--timeout", "1s"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^flowlens policy apply: cannot connect to 127\.0\.0\.1:1: .* use --server/);
  });
});

describe("policy list, get, delete", () => {
  it("list is a table; get prints the YAML; delete removes; a second delete is NOT_FOUND (exit 1)", async () => {
    const f = join(dir, "one.yaml");
    writeFileSync(f, doc("one"));
    await runCli(["policy", "apply", "-f", f, "--server", fake.address]);
    const list = await runCli(["policy", "list", "--server", fake.address]);
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAMESPACE\s+NAME\s+KIND\s+RULES\s+AUDIT\s+REVISION\s+AGE\s+SOURCE$/);
    expect(lines.find((l) => /\sone\s/.test(l))).toMatch(/^default\s+one\s+CiliumNetworkPolicy\s+1\s+no\s+\d+\s+90s\s+api$/);

    const get = await runCli(["policy", "get", "one", "--server", fake.address]);
    expect(get.stdout).toBe(doc("one"));
    const del = await runCli(["policy", "delete", "one", "-n", "default", "--server", fake.address]);
    expect(del.code).toBe(0);
    expect(del.stdout).toMatch(/^deleted default\/one \(revision \d+\)\n$/);
    const again = await runCli(["policy", "delete", "one", "--server", fake.address]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`flowlens policy delete: Delete on ${fake.address}: policy default/one not found\n`);
    const json = await runCli(["policy", "list", "-o", "json", "--server", fake.address]);
    expect(JSON.parse(json.stdout).policies.some((p: { name: string }) => p.name === "one")).toBe(false);
  });

  it("names are checked before dialing", async () => {
    const r = await runCli(["policy", "get", "Bad_Name", "--server", fake.address]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid policy name "Bad_Name"');
    const cw = await runCli(["policy", "delete", "x", "--clusterwide", "-n", "shop", "--server", fake.address]);
    expect(cw.code).toBe(2);
    expect(cw.stderr).toContain("--clusterwide policies have no namespace");
  });
});

describe("policy trace", () => {
  it("sends the connection and prints the explanation and the deciding policies", async () => {
    const r = await runCli([
      "policy",
      "trace",
      "--from-pod",
      "default/app3",
      "--to-pod",
      "default/app1",
      "--dport",
      "80",
      "--protocol",
      "tcp",
      "--http-method",
      "GET",
      "--http-path",
      "/public",
      "--server",
      fake.address,
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(fake.traces.at(-1)).toMatchObject({
      fromPod: "default/app3",
      toPod: "default/app1",
      dport: 80,
      protocol: "TCP",
      httpMethod: "GET",
      httpPath: "/public",
    });
    expect(r.stdout).toBe(
      [
        "Tracing From: default/app3 => To: default/app1 Port: 80/TCP",
        "Final verdict: DROPPED",
        "Policies: default/app1-policy (CiliumNetworkPolicy)",
        "",
      ].join("\n"),
    );
  });

  it("sends an address or an identity for either side", async () => {
    const r = await runCli([
      "policy",
      "trace",
      "--from-ip",
      "203.0.113.7",
      "--to-identity",
      "70000",
      "--dport",
      "80",
      "--server",
      fake.address,
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(fake.traces.at(-1)).toMatchObject({ fromPod: "", fromIp: "203.0.113.7", toPod: "", toIdentity: 70000, dport: 80 });
    expect(fake.traces.at(-1)?.fromIdentity).toBeUndefined();
    const byId = await runCli([
      "policy",
      "trace",
      "--from-identity",
      "1",
      "--to-ip",
      "fd00::1",
      "--dport",
      "53",
      "--protocol",
      "udp",
      "--server",
      fake.address,
    ]);
    expect(byId.code, byId.stderr).toBe(0);
    expect(fake.traces.at(-1)).toMatchObject({ fromIdentity: 1, toIp: "fd00::1", protocol: "UDP" });
  });

  it.each([
    [["--to-pod", "a/b", "--dport", "80"], "give exactly one of --from-pod, --from-ip and --from-identity (none given)"],
    [
      ["--from-pod", "a/b", "--from-ip", "10.0.0.1", "--to-pod", "a/c", "--dport", "80"],
      "give exactly one of --from-pod, --from-ip and --from-identity (2 given)",
    ],
    [
      ["--from-pod", "a/b", "--to-ip", "10.0.0.1", "--to-identity", "2", "--dport", "80"],
      "give exactly one of --to-pod, --to-ip and --to-identity (2 given)",
    ],
    [["--from-ip", "10.0.0", "--to-pod", "a/c", "--dport", "80"], 'invalid --from-ip "10.0.0"'],
    [["--from-identity", "0", "--to-pod", "a/c", "--dport", "80"], 'invalid --from-identity "0"'],
    [["--from-pod", "a/b", "--to-identity", "x", "--dport", "80"], 'invalid --to-identity "x"'],
    [["--from-pod", "a/b", "--to-pod", "a/c"], "required option '--dport <port>' not specified"],
    [["--from-pod", "a/b", "--to-pod", "a/c", "--dport", "70000"], 'invalid --dport "70000"'],
    [["--from-pod", "a/b", "--to-pod", "a/c", "--dport", "80", "--protocol", "sctp"], 'invalid --protocol "sctp"'],
    [["--from-pod", "a/b/c", "--to-pod", "a/c", "--dport", "80"], 'invalid --from-pod "a/b/c"'],
    [["--from-pod", "a/b", "--to-pod", "a/c", "--dport", "80", "--http-method", "GET"], "--http-method and --http-path go together"],
  ])("usage error (exit 2): %j", async (args, message) => {
    const r = await runCli(["policy", "trace", ...args, "--server", fake.address]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("an unknown pod is the collector's one-line answer, exit 1", async () => {
    const r = await runCli([
      "policy",
      "trace",
      "--from-pod",
      "default/ghost",
      "--to-pod",
      "app1",
      "--dport",
      "80",
      "--server",
      fake.address,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`flowlens policy trace: Trace on ${fake.address}: from pod default/ghost is not an endpoint of this node\n`);
  });
});
