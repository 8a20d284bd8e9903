// Fragments cannot dodge policy (issue 8, bypass 1). srv admits ok on TCP 80 and UDP 9000 and
// nobody else. From the denied pod, a SYN split into IPv4 or IPv6 fragments whose first carries only
// 8 bytes of TCP header gets no SYN-ACK, and the drop is reported with its reason; from the allowed
// pod, a SYN fragmented after its whole header is answered, and UDP datagrams larger than the MTU
// arrive and come back (IPv4 and IPv6). Packets are crafted with scapy (test/policy/lib/frag.py).
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "@flowlens/test-harness/collector";
import { run, waitFor } from "@flowlens/test-harness/run";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cnp, type PolicySuite, policySuite } from "./lib/suite.js";

const FRAG_PY = fileURLToPath(new URL("./lib/frag.py", import.meta.url));
const UDP_PORT = 9000;
const BIG = 4000; // > the veths' 1500-byte MTU: the sender's kernel fragments it

let s: PolicySuite;
let echo: ChildProcess | undefined;
let metricsPort: number;

const SRV_IN = cnp(
  "srv-in",
  `  endpointSelector:\n    matchLabels: {app: srv}\n  ingress:\n    - fromEndpoints: [{matchLabels: {app: ok}}]\n      toPorts: [{ports: [{port: "80", protocol: TCP}, {port: "${UDP_PORT}", protocol: UDP}]}]\n`,
);

/** frag.py in a pod's netns; its one JSON line. */
async function frag(pod: string, args: (string | number)[]): Promise<Record<string, unknown>> {
  const r = await run(["ip", "netns", "exec", s.pods.pod(pod).netns, "/usr/bin/python3", FRAG_PY, ...args.map(String)], {
    timeoutMs: 15_000,
  });
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}");
}

const v4 = (pod: string) => s.ip(pod);
const v6 = (pod: string) => s.pods.pod(pod).ipv6;

beforeAll(async () => {
  metricsPort = await freePort();
  s = await policySuite({
    prefix: "p8frag",
    pods: ["srv", "ok", "bad"].map((name) => ({ name, namespace: "default", labels: { app: name } })),
    tcp: [80],
    collectorArgs: ["--metrics-address", `127.0.0.1:${metricsPort}`],
  });
  echo = spawn("ip", ["netns", "exec", s.pods.pod("srv").netns, "/usr/bin/python3", FRAG_PY, "udp-echo", String(UDP_PORT)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  echo.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  await waitFor("udp echo listening", async () => out.includes("listening"), 10_000);
  const { res } = await s.applyRpc(SRV_IN);
  expect(res.errors).toEqual([]);
});

afterAll(async () => {
  echo?.kill("SIGKILL");
  await s?.cleanup();
});

describe("fragmented SYN from a denied pod", () => {
  it.each([
    ["IPv4", v4],
    ["IPv6", v6],
  ])("%s: a first fragment with 8 bytes of TCP header gets no SYN-ACK", async (_family, ip) => {
    expect(await frag("bad", ["syn", ip("srv"), 80, 8])).toEqual({ synack: false });
  });

  it("the drop is reported as CT_TRUNCATED_OR_INVALID_HEADER, the orphan later fragment as FRAG_NOT_FOUND", async () => {
    await frag("bad", ["syn", v4("srv"), 80, 8]);
    const reasons = async () =>
      new Set((await s.observe(["--verdict", "DROPPED", "--from-ip", v4("bad")], 200)).map((f) => f.drop_reason_desc));
    const seen = await waitFor(
      "drop flows",
      async () => {
        const r = await reasons();
        return r.has("CT_TRUNCATED_OR_INVALID_HEADER") && r.has("FIRST_LOGICAL_DATAGRAM_FRAGMENT_NOT_FOUND") && r;
      },
      10_000,
    );
    expect([...seen].sort()).toEqual(["CT_TRUNCATED_OR_INVALID_HEADER", "FIRST_LOGICAL_DATAGRAM_FRAGMENT_NOT_FOUND"]);
    // Drop events, as Cilium sends them, not policy verdicts: no rule decided these packets.
    const verdicts = await s.observe(["--type", "policy-verdict", "--from-ip", v4("bad")], 200);
    expect(verdicts.map((f) => f.drop_reason_desc).filter((r) => r !== "POLICY_DENIED")).toEqual([]);
  });

  it("the drops reach the metrics: flowlens_datapath{counter=invalidDrops} and flowlens_drop_total by reason", async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const value = (re: RegExp) => Number(metrics.match(re)?.[1] ?? 0);
    // Every tiny-first-fragment SYN above cost two drops (first fragment + orphan later fragment).
    expect(value(/^flowlens_datapath\{counter="invalidDrops"\} (\d+)$/m)).toBeGreaterThanOrEqual(4);
    expect(value(/^flowlens_drop_total\{reason="CT_TRUNCATED_OR_INVALID_HEADER",protocol="TCP"\} (\d+)$/m)).toBeGreaterThanOrEqual(2);
    expect(
      value(/^flowlens_drop_total\{reason="FIRST_LOGICAL_DATAGRAM_FRAGMENT_NOT_FOUND",protocol="TCP"\} (\d+)$/m),
    ).toBeGreaterThanOrEqual(2);
  });

  it("the same SYN unfragmented is dropped too (the policy is in force)", async () => {
    expect(await frag("bad", ["syn", v4("srv"), 80, 0])).toEqual({ synack: false });
  });
});

describe("fragmented traffic from the allowed pod still flows", () => {
  it.each([
    ["IPv4", v4],
    ["IPv6", v6],
  ])("%s: a SYN fragmented after its whole TCP header is answered", async (_family, ip) => {
    expect(await frag("ok", ["syn", ip("srv"), 80, 24])).toEqual({ synack: true });
  });

  it.each([
    ["IPv4", v4],
    ["IPv6", v6],
  ])(`%s: a ${BIG}-byte UDP datagram arrives and its fragmented echo comes back`, async (_family, ip) => {
    expect(await frag("ok", ["udp", ip("srv"), UDP_PORT, BIG])).toEqual({ received: BIG });
  });

  it("the denied pod's large UDP datagram does not get through", async () => {
    expect(await frag("bad", ["udp", v4("srv"), UDP_PORT, BIG])).toEqual({ received: 0 });
  });
});
