// The collector's policy service end to end on real pods: the founding example's L3/L4 rule (app1
// reachable only from app2 on TCP 80) applied through the CLI and the gRPC API, enforced when Apply
// returns, its verdicts as flows and metrics, list/get/delete, and policies re-applied after a restart.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { ApplyPoliciesRequestSchema, type ApplyPoliciesResponse, grpcServiceDefinition, Policies } from "@flowlens/proto";
import { COLLECTOR_BIN, type Collector, freePort, runCli, startCollector } from "@flowlens/test-harness/collector";
import { createPods, type Pods, type Spawned } from "@flowlens/test-harness/pods";
import { run, waitFor } from "@flowlens/test-harness/run";
import { curlGet, startHttpServer, tcpConnect } from "@flowlens/test-harness/traffic";
import { credentials, Metadata, makeGenericClientConstructor, type ServiceError } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const PIN = `/sys/fs/bpf/h4c-${process.pid}`;
let state: string;
let pods: Pods;
let collector: Collector | undefined;
let metricsPort: number;
let server: Spawned;

const APP1_POLICY = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: app1-policy
  namespace: default
spec:
  endpointSelector:
    matchLabels:
      app: app1
  ingress:
    - fromEndpoints:
        - matchLabels:
            app: app2
      toPorts:
        - ports:
            - port: "80"
              protocol: TCP
`;

const DENY_APP3 = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: deny-app3
spec:
  endpointSelector:
    matchLabels:
      app: app1
  ingressDeny:
    - fromEndpoints:
        - matchLabels:
            app: app3
`;

const APP1_L7 = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: app1-l7
spec:
  endpointSelector:
    matchLabels:
      app: app1
  ingress:
    - fromEndpoints:
        - matchLabels:
            app: app2
      toPorts:
        - ports:
            - port: "80"
              protocol: TCP
          rules:
            http:
              - method: GET
                path: /public
`;

async function start(): Promise<Collector> {
  const c = await startCollector([
    "--endpoints",
    pods.endpointsFile,
    "--metrics-address",
    `127.0.0.1:${metricsPort}`,
    "--pin-path",
    PIN,
    "--state-dir",
    state,
  ]);
  await waitFor("collector serving", async () => c.output().includes("serving"), 20_000);
  return c;
}

beforeAll(async () => {
  state = mkdtempSync(join(tmpdir(), "flowlens-h4c-"));
  metricsPort = await freePort();
  pods = await createPods({
    prefix: "h4c",
    pods: [
      { name: "app1", namespace: "default", labels: { app: "app1" } },
      { name: "app2", namespace: "default", labels: { app: "app2" } },
      { name: "app3", namespace: "default", labels: { app: "app3" } },
    ],
  });
  collector = await start();
  server = await startHttpServer(pods, "app1", 80);
});

afterAll(async () => {
  await server?.kill();
  await collector?.stop();
  // Filters, socket-hook links and pins outlive the collector by design: remove ours.
  await run(["node", COLLECTOR_BIN, "uninstall", "--pin-path", PIN, "--state-dir", state], { allowFail: true, timeoutMs: 30_000 });
  await pods?.destroy();
  rmSync(state, { recursive: true, force: true });
  rmSync(PIN, { recursive: true, force: true });
});

const app1 = () => pods.pod("app1").ipv4;

function apply(address: string, yaml: string): Promise<ApplyPoliciesResponse> {
  const Client = makeGenericClientConstructor(grpcServiceDefinition(Policies), "Policies");
  const client = new Client(address, credentials.createInsecure()) as unknown as {
    Apply(r: unknown, m: Metadata, o: object, cb: (e: ServiceError | null, r: ApplyPoliciesResponse) => void): void;
    close(): void;
  };
  return new Promise((resolve, reject) =>
    client.Apply(create(ApplyPoliciesRequestSchema, { documents: [{ source: "test", yaml }] }), new Metadata(), {}, (e, r) => {
      client.close();
      e ? reject(e) : resolve(r);
    }),
  );
}

async function observeJson(args: string[]): Promise<Record<string, unknown>[]> {
  const r = await runCli(["observe", "--server", collector?.address ?? "", "--last", "200", "-o", "json", ...args]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l).flow)
    .filter(Boolean);
}

async function metric(line: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const m = text.split("\n").find((l) => line.test(l));
  return m ? Number(m.split(" ").at(-1)) : 0;
}

describe("policy service on real pods", () => {
  it("without a policy every pod reaches app1:80", async () => {
    expect(await tcpConnect(pods, "app3", app1(), 80)).toBe("connected");
    expect(await tcpConnect(pods, "app2", app1(), 80)).toBe("connected");
  });

  // How long Apply takes (target well under 100 ms) is measured by bench/policy-apply.ts.
  it("Apply returns once enforced: app3's next connection is dropped, app2's goes through", async () => {
    const res = await apply(collector?.adminAddress ?? "", APP1_POLICY);
    expect(res.errors).toEqual([]);
    expect(res.applied.map((p) => p.name)).toEqual(["app1-policy"]);
    // No wait between the answer and the connection: "returned" has to mean "enforced".
    const [denied, allowed] = await Promise.all([tcpConnect(pods, "app3", app1(), 80), tcpConnect(pods, "app2", app1(), 80)]);
    expect(denied).toBe("ETIMEDOUT");
    expect(allowed).toBe("connected");
  });

  it("observe --verdict DROPPED --type policy-verdict shows app3's drop (POLICY_DENIED), as does the drop event", async () => {
    const verdicts = await observeJson(["--verdict", "DROPPED", "--type", "policy-verdict", "--from-pod", "default/app3"]);
    expect(verdicts.length).toBeGreaterThan(0);
    for (const f of verdicts) {
      expect(f).toMatchObject({
        verdict: "DROPPED",
        drop_reason_desc: "POLICY_DENIED",
        event_type: { type: 5 },
        traffic_direction: "INGRESS",
        Type: "L3_L4",
        is_reply: false,
        source: { pod_name: "app3", namespace: "default" },
        destination: { pod_name: "app1", namespace: "default" },
      });
      expect((f.l4 as { TCP: { destination_port: number } }).TCP.destination_port).toBe(80);
    }
    // One drop event per dropped packet: the kernel's own report of the tc drop is not shown twice.
    const drops = await observeJson(["--type", "drop", "--from-pod", "default/app3"]);
    expect(drops.length).toBe(verdicts.length);
    for (const f of drops) expect(f).toMatchObject({ drop_reason_desc: "POLICY_DENIED", event_type: { type: 1, sub_type: 133 } });
  });

  it("an explicit deny is named: --print-policy-names shows who denied app3 and who allowed app2", async () => {
    const res = await apply(collector?.adminAddress ?? "", DENY_APP3);
    expect(res.errors).toEqual([]);
    expect(await tcpConnect(pods, "app3", app1(), 80)).toBe("ETIMEDOUT");
    expect(await tcpConnect(pods, "app2", app1(), 80)).toBe("connected");
    const r = await runCli([
      "observe",
      "--server",
      collector?.address ?? "",
      "--last",
      "200",
      "--type",
      "policy-verdict",
      "--to-pod",
      "default/app1",
      "--print-policy-names",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.some((l) => /default\/app3:\d+ .* policy-verdict:.* INGRESS DENIED .*ingress-denied-by: default\/deny-app3/.test(l))).toBe(
      true,
    );
    expect(
      lines.some((l) => /default\/app2:\d+ .* policy-verdict:L3-L4 INGRESS ALLOWED .*ingress-allowed-by: default\/app1-policy/.test(l)),
    ).toBe(true);
    const denied = await observeJson(["--verdict", "DROPPED", "--type", "policy-verdict", "--from-pod", "default/app3"]);
    const named = denied.find((f) => f.drop_reason_desc === "POLICY_DENY");
    expect(named?.ingress_denied_by).toEqual([
      {
        name: "deny-app3",
        namespace: "default",
        kind: "CiliumNetworkPolicy",
        revision: expect.any(String),
        labels: [
          "k8s:io.cilium.k8s.policy.derived-from=CiliumNetworkPolicy",
          "k8s:io.cilium.k8s.policy.name=deny-app3",
          "k8s:io.cilium.k8s.policy.namespace=default",
        ],
      },
    ]);
  });

  it("counts the decisions in policy_verdicts_total and drop_total", async () => {
    expect(await metric(/^flowlens_policy_verdicts_total\{direction="ingress",match="none",action="dropped"\}/)).toBeGreaterThan(0);
    expect(await metric(/^flowlens_policy_verdicts_total\{direction="ingress",match="l3-l4",action="forwarded"\}/)).toBeGreaterThan(0);
    expect(await metric(/^flowlens_drop_total\{reason="POLICY_DENY",protocol="TCP"\}/)).toBeGreaterThan(0);
    expect(await metric(/^flowlens_policies /)).toBe(2);
  });

  it("policy list and get through the CLI; a bad file is rejected whole with its errors listed", async () => {
    const list = await runCli(["policy", "list", "--server", collector?.address ?? ""]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^default\s+app1-policy\s+CiliumNetworkPolicy\s+1\s+no\s+1\s+\S+\s+api$/m);
    expect(list.stdout).toMatch(/^default\s+deny-app3\s+CiliumNetworkPolicy\s+1\s+no\s+2\s+\S+\s+api$/m);
    const get = await runCli(["policy", "get", "app1-policy", "--server", collector?.address ?? ""]);
    expect(get.stdout).toBe(APP1_POLICY);

    const bad = join(state, "bad.yaml");
    writeFileSync(
      bad,
      `${APP1_POLICY.replace("app1-policy", "other").replace('"80"', '"70000"')}---\n${DENY_APP3.replace("ingressDeny", "ingresDeny")}`,
    );
    const r = await runCli(["policy", "apply", "-f", bad, "--server", collector?.adminAddress ?? ""]);
    expect(r.code).toBe(1);
    const errors = r.stderr.trim().split("\n");
    expect(errors.at(-1)).toMatch(/^flowlens policy apply: rejected: \d+ errors, nothing applied$/);
    expect(errors.some((l) => l.startsWith(`${bad}:16: spec.ingress[0].toPorts[0].ports[0].port: `))).toBe(true);
    expect(errors.some((l) => l.includes("ingresDeny"))).toBe(true);
    const after = await runCli(["policy", "list", "--server", collector?.address ?? ""]);
    expect(after.stdout).not.toContain("other");
  });

  it("a restarted collector re-applies the persisted policies, and trace agrees with the datapath", async () => {
    await collector?.stop();
    collector = await start();
    const list = await runCli(["policy", "list", "--server", collector.address]);
    expect(list.stdout).toContain("app1-policy");
    expect(list.stdout).toContain("deny-app3");
    expect(await tcpConnect(pods, "app3", app1(), 80)).toBe("ETIMEDOUT");
    const trace = await runCli([
      "policy",
      "trace",
      "--from-pod",
      "default/app3",
      "--to-pod",
      "default/app1",
      "--dport",
      "80",
      "--server",
      collector.address,
    ]);
    expect(trace.code, trace.stderr).toBe(0);
    expect(trace.stdout).toContain("Final verdict: DROPPED");
    expect(trace.stdout).toContain("Policies: default/deny-app3 (CiliumNetworkPolicy)");
  });

  it("delete lifts the policies: app3 connects again", async () => {
    for (const name of ["deny-app3", "app1-policy"]) {
      const d = await runCli(["policy", "delete", name, "--server", collector?.adminAddress ?? ""]);
      expect(d.code, d.stderr).toBe(0);
    }
    expect(await tcpConnect(pods, "app3", app1(), 80)).toBe("connected");
    const again = await runCli(["policy", "delete", "app1-policy", "--server", collector?.adminAddress ?? ""]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("not found");
    const list = await runCli(["policy", "list", "--server", collector?.address ?? ""]);
    expect(list.stdout.trim().split("\n")).toHaveLength(1);
  });

  it("L7: the proxy's decisions come back as L7 flows (GET /public forwarded, GET /restricted 403 DROPPED)", async () => {
    const res = await apply(collector?.adminAddress ?? "", APP1_L7);
    expect(res.errors).toEqual([]);
    const url = (path: string) => `http://${app1()}${path}`;
    await waitFor("the L7 proxy answers", async () => (await curlGet(pods, "app2", url("/public"), 2)).status === 200, 20_000);
    expect((await curlGet(pods, "app2", url("/restricted"))).status).toBe(403);
    const flows = await waitFor(
      "L7 flows",
      async () => {
        const f = await observeJson(["--type", "l7", "--to-pod", "default/app1"]);
        return f.some((x) => x.verdict === "DROPPED") && f.some((x) => (x.l7 as { type: string }).type === "RESPONSE") ? f : undefined;
      },
      10_000,
    );
    const denied = flows.find((f) => f.verdict === "DROPPED");
    expect(denied).toMatchObject({
      Type: "L7",
      event_type: { type: 129 },
      traffic_direction: "INGRESS",
      source: { pod_name: "app2" },
      destination: { pod_name: "app1" },
      l7: { type: "REQUEST", http: { method: "GET", url: `http://${app1()}/restricted`, code: 403 } },
    });
    const response = flows.find((f) => (f.l7 as { type: string }).type === "RESPONSE");
    expect(response).toMatchObject({ verdict: "FORWARDED", is_reply: true, l7: { http: { code: 200, url: `http://${app1()}/public` } } });
    expect(Number((response?.l7 as { latency_ns?: string } | undefined)?.latency_ns)).toBeGreaterThan(0);
    expect(response?.ingress_allowed_by).toMatchObject([{ name: "app1-l7" }]);
    const del = await runCli(["policy", "delete", "app1-l7", "--server", collector?.adminAddress ?? ""]);
    expect(del.code, del.stderr).toBe(0);
  });
});
