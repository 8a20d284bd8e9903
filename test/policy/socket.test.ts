// Policy at the socket: app2 declares the cgroup its processes live in (endpoints file field
// `cgroup`), so the collector's cgroup connect/sendmsg hooks refuse a denied destination in the
// system call itself: connect() and a UDP send fail with EPERM at once, no packet is built. A
// process of the same pod outside that cgroup is still stopped in tc (its SYN is dropped).
import { existsSync, mkdirSync, rmdirSync, statSync } from "node:fs";
import { waitFor } from "@flowlens/test-harness/run";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { cnp, type PolicySuite, policySuite } from "./lib/suite.js";

const CG = `/sys/fs/cgroup/unified/p4c-${process.pid}`;
const CG_CHILD = `${CG}/worker`; // processes may sit below the declared cgroup

let s: PolicySuite;
const app1 = () => s.ip("app1");
const app1v6 = () => s.pods.pod("app1").ipv6;

const APP2_EGRESS = cnp(
  "app2-out",
  `  endpointSelector:
    matchLabels: {app: app2}
  egress:
    - toEndpoints: [{matchLabels: {app: app1}}]
      toPorts:
        - ports: [{port: "80", protocol: TCP}, {port: "53", protocol: UDP}]
`,
);

beforeAll(async () => {
  mkdirSync(CG_CHILD, { recursive: true });
  s = await policySuite({
    prefix: "p4c",
    pods: ["app1", "app2"].map((name) => ({ name, namespace: "default", labels: { app: name } })),
    tcp: [80, 81],
    udp: [53, 54],
    endpoints: (pods) =>
      stringify({
        endpoints: pods.pods.map((p) => ({
          name: p.name,
          namespace: p.namespace,
          labels: p.labels,
          netns: p.netns,
          interface: p.hostIf,
          ips: [p.ipv4, p.ipv6],
          ...(p.name === "app2" && { cgroup: CG }),
        })),
      }),
    cgroupAgents: { app2: { pod: "app2", cgroup: CG }, worker: { pod: "app2", cgroup: CG_CHILD } },
  });
  const { res } = await s.applyRpc(APP2_EGRESS);
  expect(res.errors).toEqual([]);
});

afterAll(async () => {
  try {
    await s?.cleanup();
  } finally {
    for (const dir of [CG_CHILD, CG]) if (existsSync(dir)) rmdirSync(dir);
  }
});

describe("socket-level policy for an endpoint with a cgroup", () => {
  it("allowed destinations work from inside the cgroup: TCP 80 (IPv4 and IPv6), UDP 53", async () => {
    const app2 = s.cgroupAgent.app2;
    expect((await app2.tcp(app1(), 80)).r).toBe("connected");
    expect((await app2.tcp(app1v6(), 80)).r).toBe("connected");
    expect((await app2.udp(app1(), 53)).r).toBe("reply");
  });

  it("connect() to a denied port fails with EPERM immediately (IPv4, IPv6, from a child cgroup too)", async () => {
    const times: number[] = [];
    for (const [agent, host] of [
      [s.cgroupAgent.app2, app1()],
      [s.cgroupAgent.app2, app1v6()],
      [s.cgroupAgent.worker, app1()],
    ] as const) {
      const r = await agent.tcp(host, 81);
      expect(r.r, `connect ${host}:81`).toBe("EPERM"); // refused at the socket: a tc drop would end in "timeout"
      times.push(r.ms);
    }
    console.log(`socket: connect() EPERM after ${times.map((t) => t.toFixed(2)).join(", ")} ms`);
  });

  it("a UDP send to a denied port fails with EPERM; the allowed port still answers", async () => {
    const denied = await s.cgroupAgent.app2.udp(app1(), 54);
    expect(denied.r).toBe("EPERM");
    console.log(`socket: UDP send EPERM after ${denied.ms.toFixed(2)} ms`);
    expect((await s.cgroupAgent.worker.udp(app1(), 54)).r).toBe("EPERM");
    expect((await s.cgroupAgent.app2.udp(app1(), 53)).r).toBe("reply");
  });

  it("a process of the pod outside the cgroup is not refused at the socket: tc drops its packets", async () => {
    expect((await s.agent.app2.tcp(app1(), 81)).r).toBe("timeout");
    expect((await s.agent.app2.udp(app1(), 54)).r).toBe("timeout");
    expect((await s.agent.app2.tcp(app1(), 80)).r).toBe("connected");
  });

  it("the refused calls are policy-verdict flows: DROPPED, egress of app2, decided at the socket (no interface, the cgroup, the pid)", async () => {
    const cgroupId = String(statSync(CG, { bigint: true }).ino);
    const atSocket = await waitFor("socket-level drops", async () => {
      const f = await s.observe(["--verdict", "DROPPED", "--type", "policy-verdict", "--from-pod", "default/app2"]);
      const sock = f.filter((x) => !x.interface);
      const ports = new Set(sock.map((x) => x.l4?.TCP?.destination_port ?? x.l4?.UDP?.destination_port));
      return ports.has(81) && ports.has(54) ? sock : undefined;
    });
    for (const f of atSocket) {
      expect(f).toMatchObject({
        traffic_direction: "EGRESS",
        drop_reason_desc: "POLICY_DENIED",
        source: { pod_name: "app2" },
        destination: { pod_name: "app1" },
        cgroup_id: cgroupId,
      });
      expect(f.extensions?.pid).toBeGreaterThan(0);
    }
  });

  it("without the policy the same connect() and send work again", async () => {
    await s.deleteAll();
    expect((await s.cgroupAgent.app2.tcp(app1(), 81)).r).toBe("connected");
    expect((await s.cgroupAgent.app2.udp(app1(), 54)).r).toBe("reply");
  });
});
