// Hostile local user (issue 8, control plane): what changes policy or endpoints is served only on a
// root-only unix socket or to an allow-listed mTLS client. The collector, the relay and the CLI are
// the real processes; "nobody" runs the real CLI through setpriv.
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type KeyPair, makePki, type TestPki } from "@flowlens/test-harness/certs";
import { CLI_BIN, type Collector, freePort, runCli, startCollector } from "@flowlens/test-harness/collector";
import { createPods, endpointsYaml, type Pods } from "@flowlens/test-harness/pods";
import { type Daemon, startRelay } from "@flowlens/test-harness/relay";
import { type RunResult, run, waitFor } from "@flowlens/test-harness/run";
import { ping } from "@flowlens/test-harness/traffic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"];
const asNobody = (args: string[], input?: string) =>
  run([...NOBODY, "node", CLI_BIN, ...args], { allowFail: true, timeoutMs: 30_000, input });

const cnp = (name: string, app: string) => `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: ${name}
spec:
  endpointSelector:
    matchLabels: {app: ${app}}
  ingress:
    - fromEndpoints: [{matchLabels: {app: b}}]
`;

/** Exit 1 with one stderr line that says permission denied (the server's or the socket's). */
function refused(r: RunResult, why: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(why);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

let tmp: string;
/** Directories above the CLI that "nobody" could not enter (a checkout in a 0700 dir), with their modes. */
const opened: [string, number][] = [];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "flowlens-c8adm-"));
  writeFileSync(join(tmp, "guard.yaml"), cnp("guard-a", "a"));
  // nobody runs the real CLI from this checkout: let it traverse (not list) the directories above it.
  for (let d = dirname(CLI_BIN); d !== dirname(d); d = dirname(d)) {
    const mode = statSync(d).mode & 0o7777;
    if (!(mode & 0o001)) {
      opened.push([d, mode]);
      chmodSync(d, mode | 0o001);
    }
  }
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  for (const [d, mode] of opened) chmodSync(d, mode);
});

describe("a collector with the default listener (plain TCP) and its admin socket", () => {
  let pods: Pods;
  let collector: Collector;
  let socket: string;
  let metricsPort: number;
  const policies = async () => {
    const r = await runCli(["policy", "list", "--server", collector.address]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  const endpoints = async () => {
    const r = await runCli(["endpoint", "list", "--server", collector.address]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  const denied = () => new RegExp(`permission denied: .* unix:${socket.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} as root`);

  beforeAll(async () => {
    pods = await createPods({
      prefix: "c8adm",
      pods: [
        { name: "a", namespace: "default", labels: { app: "a" } },
        { name: "b", namespace: "default", labels: { app: "b" } },
        { name: "c", namespace: "default", labels: { app: "c" } },
      ],
    });
    // c is not declared: registering it is what the tests try.
    writeFileSync(pods.endpointsFile, endpointsYaml([pods.pod("a"), pods.pod("b")]));
    metricsPort = await freePort();
    collector = await startCollector(["--endpoints", pods.endpointsFile, "--metrics-address", `127.0.0.1:${metricsPort}`]);
    await waitFor("collector serving", async () => collector.output().includes("serving"), 20_000);
    socket = collector.adminAddress.slice("unix:".length);
    const apply = await runCli(["policy", "apply", "-f", join(tmp, "guard.yaml"), "--server", collector.adminAddress]);
    expect(apply.code, apply.stderr).toBe(0);
  });

  afterAll(async () => {
    await collector?.stop();
    await pods?.destroy();
  });

  it("nobody cannot delete or apply a policy over TCP: PERMISSION_DENIED naming the admin socket", async () => {
    refused(await asNobody(["policy", "delete", "guard-a", "--server", collector.address]), denied());
    refused(await asNobody(["policy", "apply", "-f", "-", "--server", collector.address], cnp("open-a", "a")), denied());
    const list = await policies();
    expect(list).toMatch(/guard-a/);
    expect(list).not.toMatch(/open-a/);
  });

  it("nobody cannot register an endpoint with chosen labels, nor delete one, over TCP", async () => {
    const c = pods.pod("c");
    const add = ["endpoint", "add", "--name", "spoof", "--netns", c.netns, "--interface", c.hostIf, "--label", "app=a"];
    refused(await asNobody([...add, "--server", collector.address]), denied());
    refused(await asNobody(["endpoint", "delete", "default/a", "--server", collector.address]), denied());
    const list = await endpoints();
    expect(list).not.toMatch(/spoof/);
    expect(list).toMatch(/default\s+a\s/);
  });

  it("refusals are counted in flowlens_admin_calls_denied_total by method and logged", async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const count = (method: string) =>
      Number(
        text
          .split("\n")
          .find((l) => l.startsWith(`flowlens_admin_calls_denied_total{method="${method}"}`))
          ?.split(" ")
          .at(-1) ?? 0,
      );
    // The two tests above: one refusal of each.
    for (const m of [
      "flowlens.Policies/Delete",
      "flowlens.Policies/Apply",
      "flowlens.Endpoints/AddEndpoint",
      "flowlens.Endpoints/DeleteEndpoint",
    ])
      expect(count(m), m).toBe(1);
    expect(collector.output()).toMatch(/control plane: refused flowlens\.Policies\/Delete: /);
  });

  it("nobody cannot use the admin socket either: the CLI says to run as root", async () => {
    const rootOnly = /permission denied — only root may use this socket: run as root/;
    refused(await asNobody(["policy", "delete", "guard-a", "--server", collector.adminAddress]), rootOnly);
    refused(await asNobody(["policy", "apply", "-f", "-", "--server", collector.adminAddress], cnp("open-a", "a")), rootOnly);
    const c = pods.pod("c");
    refused(
      await asNobody([
        "endpoint",
        "add",
        "--name",
        "spoof",
        "--netns",
        c.netns,
        "--interface",
        c.hostIf,
        "--server",
        collector.adminAddress,
      ]),
      rootOnly,
    );
    expect(await policies()).toMatch(/guard-a/);
    expect(await endpoints()).not.toMatch(/spoof/);
  });

  it("the admin socket is root's alone on disk: directory 0700, socket 0600", () => {
    const dir = statSync(dirname(socket));
    const sock = statSync(socket);
    expect(sock.isSocket()).toBe(true);
    expect([dir.uid, dir.mode & 0o777]).toEqual([0, 0o700]);
    expect([sock.uid, sock.mode & 0o777]).toEqual([0, 0o600]);
  });

  it("nobody still reads over TCP: policy list, endpoint list, observe", async () => {
    for (const args of [
      ["policy", "list"],
      ["endpoint", "list"],
      ["observe", "--last", "5"],
    ]) {
      const r = await asNobody([...args, "--server", collector.address]);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
    }
  });

  it("root changes endpoints and policy through the admin socket", async () => {
    const c = pods.pod("c");
    const add = await runCli([
      "endpoint",
      "add",
      "--name",
      "c",
      "--netns",
      c.netns,
      "--interface",
      c.hostIf,
      "--label",
      "app=c",
      "--server",
      collector.adminAddress,
    ]);
    expect(add.code, add.stderr).toBe(0);
    expect(await endpoints()).toMatch(/default\s+c\s/);
    const delEp = await runCli(["endpoint", "delete", "default/c", "--server", collector.adminAddress]);
    expect(delEp.code, delEp.stderr).toBe(0);
    expect(await endpoints()).not.toMatch(/default\s+c\s/);
    const del = await runCli(["policy", "delete", "guard-a", "--server", collector.adminAddress]);
    expect(del.code, del.stderr).toBe(0);
    expect(await policies()).not.toMatch(/guard-a/);
  });
});

describe("a collector with mTLS and --admin-client-names", () => {
  let pki: TestPki;
  let admin: KeyPair;
  let relayCert: KeyPair;
  let pods: Pods;
  let collector: Collector;
  let relay: Daemon;
  const tls = (who: KeyPair) => ["--tls-ca-cert-files", pki.ca, "--tls-client-cert-file", who.cert, "--tls-client-key-file", who.key];

  beforeAll(async () => {
    pki = await makePki();
    admin = await pki.client("flowlens-admin");
    relayCert = await pki.client("flowlens-relay");
    pods = await createPods({
      prefix: "c8tls",
      pods: [
        { name: "a", namespace: "default", labels: { app: "a" } },
        { name: "b", namespace: "default", labels: { app: "b" } },
      ],
    });
    collector = await startCollector([
      "--endpoints",
      pods.endpointsFile,
      "--metrics-address",
      "",
      "--node-name",
      "c8tls-node",
      "--tls-cert",
      pki.server.cert,
      "--tls-key",
      pki.server.key,
      "--tls-ca",
      pki.ca,
      "--admin-client-names",
      "flowlens-admin",
    ]);
    await waitFor("collector serving", async () => collector.output().includes("serving"), 20_000);
    // The relay reads this collector's flows with its own client certificate (not on the list).
    relay = await startRelay([
      "--peers",
      collector.address,
      "--peer-tls-cert",
      relayCert.cert,
      "--peer-tls-key",
      relayCert.key,
      "--peer-tls-ca",
      pki.ca,
    ]);
  });

  afterAll(async () => {
    await relay?.stop();
    await collector?.stop();
    await pods?.destroy();
    pki?.remove();
  });

  it("an allow-listed client certificate applies and deletes a policy over TCP", async () => {
    const apply = await runCli(["policy", "apply", "-f", join(tmp, "guard.yaml"), "--server", collector.address, ...tls(admin)]);
    expect(apply.code, apply.stderr).toBe(0);
    const list = await runCli(["policy", "list", "--server", collector.address, ...tls(admin)]);
    expect(list.stdout).toMatch(/guard-a/);
    const del = await runCli(["policy", "delete", "guard-a", "--server", collector.address, ...tls(admin)]);
    expect(del.code, del.stderr).toBe(0);
  });

  it("Hubble's TLS flags: the CA and --tls-server-name are checked, --tls-allow-insecure skips the check", async () => {
    const list = (flags: string[]) =>
      runCli([
        "policy",
        "list",
        "--server",
        collector.address,
        "--timeout",
        "2s",
        "--tls-client-cert-file",
        admin.cert,
        "--tls-client-key-file",
        admin.key,
        ...flags,
      ]);
    expect((await list(["--tls-ca-cert-files", pki.ca, "--tls-server-name", "localhost"])).code).toBe(0);
    expect((await list(["--tls-allow-insecure"])).code).toBe(0);
    for (const bad of [["--tls-ca-cert-files", pki.ca, "--tls-server-name", "not-the-collector.example"], ["--tls"]]) {
      const r = await list(bad);
      expect(r.code, bad.join(" ")).toBe(1);
      expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/TLS or gRPC failed \(check --tls-ca-cert-files/);
    }
    const plain = await runCli(["policy", "list", "--server", collector.address, "--timeout", "2s"]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/if it serves TLS, add --tls/);
  });

  it("the relay's certificate reads flows (through the relay and directly) but cannot apply a policy", async () => {
    const a = pods.pod("a");
    const b = pods.pod("b");
    expect(await ping(pods, a, b.ipv4)).toBe(1);
    await waitFor(
      "flows through the relay",
      async () => {
        const r = await runCli(["observe", "--server", relay.address, "--last", "50", "-o", "json", "--to-ip", b.ipv4]);
        return r.code === 0 && r.stdout.includes('"node_name":"c8tls-node"');
      },
      15_000,
    );
    const direct = await runCli(["observe", "--server", collector.address, "--last", "50", "--to-ip", b.ipv4, ...tls(relayCert)]);
    expect(direct.code, direct.stderr).toBe(0);
    expect(direct.stdout).toMatch(/-> default\/b/);
    const apply = await runCli(["policy", "apply", "-f", join(tmp, "guard.yaml"), "--server", collector.address, ...tls(relayCert)]);
    refused(apply, /permission denied: .*client certificate "flowlens-relay" is not in --admin-client-names/);
    const list = await runCli(["policy", "list", "--server", collector.address, ...tls(relayCert)]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).not.toMatch(/guard-a/);
  });
});
