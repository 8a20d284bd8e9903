// The engine over the real map writer and in-memory maps: what a policy and endpoint changes leave
// in fl_policy, fl_endpoints, fl_cgroups and fl_ipcache, and what trace says.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { monoNowNs } from "../../clock/monotonic.js";
import { EndpointRegistry } from "../../endpoints/registry.js";
import { decodeEndpointInfo, ipcacheKey, u32Key, u64Key } from "../maps/keys.js";
import { type KvMap, PolicyMaps } from "../maps/maps.js";
import { cgroupIdOf, type L7Port, PolicyEngine } from "./engine.js";
import { PolicyStore } from "./store.js";
import { cnp } from "./testkit.js";

class MemMap implements KvMap {
  readonly m = new Map<string, Buffer>();
  constructor(
    readonly name: string,
    readonly maxEntries = 65536,
  ) {}
  update(k: Uint8Array, v: Uint8Array): void {
    this.m.set(Buffer.from(k).toString("hex"), Buffer.from(v));
  }
  delete(k: Uint8Array): boolean {
    return this.m.delete(Buffer.from(k).toString("hex"));
  }
  *entries(): Iterable<[Buffer, Buffer]> {
    for (const [k, v] of this.m) yield [Buffer.from(k, "hex"), v];
  }
  get(k: Buffer): Buffer | undefined {
    return this.m.get(k.toString("hex"));
  }
}

let dir: string;
let registry: EndpointRegistry;
let maps: { policy: MemMap; ipcache: MemMap; endpoints: MemMap; cgroups: MemMap };
let engine: PolicyEngine;
let store: PolicyStore;
const logs: string[] = [];

function ep(name: string, ifindex: number, ip: string, cgroup?: string) {
  return registry.upsert(
    { name, namespace: "default", labels: { app: name }, netns: name, interface: `v${name}`, ...(cgroup ? { cgroup } : {}) },
    { ifindex, ips: [ip] },
  );
}

/** An HTTP rule on app1's port 80: app1 becomes an L7 endpoint. */
const httpCnp = (name: string) =>
  `${cnp(name)}          rules:
            http:
              - method: GET
                path: /public
`;

/** The supervisor's side as the engine sees it: what it was told, in order, and who is not listening yet. */
class FakeL7 implements L7Port {
  readonly calls: string[] = [];
  missing: string[] = [];
  stage(c: Parameters<L7Port["stage"]>[0]): void {
    this.calls.push(`stage ${c.l7.length}`);
  }
  /** How many times the engine asked which endpoints the proxy does not serve yet. */
  asked = 0;
  unregistered(): string[] {
    this.asked++;
    return this.missing;
  }
  update(c: Parameters<L7Port["update"]>[0]): void {
    this.calls.push(`update ${c.l7.length}`);
  }
}

function info(ifindex: number) {
  const v = maps.endpoints.get(u32Key(ifindex));
  return v && decodeEndpointInfo(v);
}

const tick = () => new Promise((r) => setImmediate(r));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "flowlens-h4-engine-"));
  registry = new EndpointRegistry();
  maps = {
    policy: new MemMap("fl_policy"),
    ipcache: new MemMap("fl_ipcache"),
    endpoints: new MemMap("fl_endpoints"),
    cgroups: new MemMap("fl_cgroups"),
  };
  engine = new PolicyEngine({
    registry,
    audit: false,
    log: (m) => logs.push(m),
    maps: new PolicyMaps(maps, { hostAddresses: () => [] }),
    cgroupId: (p) => cgroupIdOf(p, undefined),
  });
  store = new PolicyStore({ dir, installer: engine, log: (m) => logs.push(m) });
  ep("app1", 11, "10.7.0.1", dir); // any existing directory stands for a cgroup here
  ep("app2", 12, "10.7.0.2");
  ep("app3", 13, "10.7.0.3");
  engine.start();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("policy engine", () => {
  it("writes nothing before start (a restart's pinned maps keep enforcing), then every endpoint", () => {
    const idle = new PolicyEngine({ registry, audit: false, log: () => {}, maps: new PolicyMaps({ ...maps, endpoints: new MemMap("e") }) });
    const fresh = new PolicyStore({ installer: idle, log: () => {} });
    fresh.apply([{ source: "a", text: cnp("x") }]);
    expect(idle.current.entries.length).toBeGreaterThan(0);
    // the shared maps were filled by the started engine only:
    expect(maps.endpoints.m.size).toBe(3);
    expect(maps.ipcache.get(ipcacheKey("10.7.0.2/32"))?.readUInt32LE(0)).toBe(registry.get("default", "app2")?.identity);
  });

  it("Apply enforces before it returns: entries, app1's ingress default deny, its cgroup, trace agrees", () => {
    expect(info(11)?.enforceIngress).toBe(false);
    const res = store.apply([{ source: "p.yaml", text: cnp("app1-allow-app2") }]);
    expect(res.errors).toEqual([]);
    expect(maps.policy.m.size).toBeGreaterThan(0);
    expect(info(11)).toMatchObject({ enforceIngress: true, enforceEgress: false, endpointId: registry.get("default", "app1")?.id });
    expect(info(12)?.enforceIngress).toBe(false);
    const cg = maps.cgroups.get(u64Key(cgroupIdOf(dir, undefined)));
    expect(cg && decodeEndpointInfo(cg).enforceIngress).toBe(true);

    const denied = engine.trace({ fromPod: "default/app3", toPod: "app1", dport: 80, protocol: "TCP" });
    expect(denied.result).toMatchObject({ verdict: "DROPPED", dropReason: "POLICY_DENIED" });
    expect(denied.policies).toEqual([]);
    const allowed = engine.trace({ fromPod: "app2", toPod: "app1", dport: 80, protocol: "" });
    expect(allowed.result.verdict).toBe("FORWARDED");
    expect(allowed.policies.map((p) => [p.name, p.namespace, p.kind, p.revision])).toEqual([
      ["app1-allow-app2", "default", "CiliumNetworkPolicy", 1],
    ]);
    expect(allowed.result.lines.at(-1)).toBe("Final verdict: FORWARDED");
    // Rule ids of verdict records resolve against this compilation.
    const rule = allowed.result.rule?.ruleId ?? 0;
    expect(engine.rules.at(Number(process.hrtime.bigint())).policiesOf(rule)[0].name).toBe("app1-allow-app2");
  });

  it("follows an endpoint's new address and a new endpoint that the policy selects", async () => {
    store.apply([{ source: "p.yaml", text: cnp("app1-allow-app2") }]);
    registry.upsert(
      { name: "app2", namespace: "default", labels: { app: "app2" }, netns: "app2", interface: "vapp2" },
      { ifindex: 12, ips: ["10.7.0.22"] },
    );
    await tick();
    expect(maps.ipcache.get(ipcacheKey("10.7.0.22/32"))?.readUInt32LE(0)).toBe(registry.get("default", "app2")?.identity);
    expect(maps.ipcache.get(ipcacheKey("10.7.0.2/32"))).toBeUndefined();

    // A second pod with app1's labels: same identity, enforced from its first packet.
    registry.upsert(
      { name: "app1-b", namespace: "default", labels: { app: "app1" }, netns: "b", interface: "vb" },
      { ifindex: 21, ips: ["10.7.0.21"] },
    );
    await tick();
    expect(info(21)).toMatchObject({ enforceIngress: true, identity: registry.get("default", "app1")?.identity });

    registry.remove("default", "app1-b");
    await tick();
    expect(info(21)).toBeUndefined();
    expect(maps.ipcache.get(ipcacheKey("10.7.0.21/32"))).toBeUndefined();
  });

  it("delete lifts the default deny; global audit mode makes it audit-only", () => {
    store.apply([{ source: "p.yaml", text: cnp("p") }]);
    store.delete("p", "default");
    expect(info(11)?.enforceIngress).toBe(false);
    expect(maps.policy.m.size).toBe(0);

    const audited = new PolicyEngine({ registry, audit: true, log: () => {} });
    new PolicyStore({ installer: audited, log: () => {} }).apply([{ source: "a", text: cnp("p") }]);
    audited.start();
    expect(audited.current.subjects.find((s) => s.identity === registry.get("default", "app1")?.identity)).toMatchObject({
      enforceIngress: true,
      auditIngress: true,
    });
  });

  it("a new L7 endpoint is written only once the proxy listens for it; the old rules stay until then", async () => {
    const l7 = new FakeL7();
    const slow = new PolicyEngine({
      registry,
      audit: false,
      log: (m) => logs.push(m),
      maps: new PolicyMaps(maps, { hostAddresses: () => [] }),
      l7,
    });
    slow.start();
    l7.missing = ["default/app1"];
    new PolicyStore({ installer: slow, log: () => {} }).apply([{ source: "p.yaml", text: httpCnp("l7") }]);
    const done = slow.whenWritten();
    await vi.waitFor(() => expect(l7.calls).toEqual(["stage 0", "update 0", "stage 1"]));
    // Held: the engine asks again for the proxy and still writes nothing.
    const heldFrom = monoNowNs();
    const asked = l7.asked;
    await vi.waitFor(() => expect(l7.asked).toBeGreaterThan(asked));
    expect(info(11)?.enforceIngress).toBe(false);
    expect(l7.calls).toEqual(["stage 0", "update 0", "stage 1"]);
    const releasedAt = monoNowNs();
    l7.missing = [];
    await done;
    expect(info(11)?.enforceIngress).toBe(true);
    expect(l7.calls.at(-1)).toBe("update 1");
    // The install time counts the wait for the proxy.
    expect(slow.lastInstallMs * 1e6).toBeGreaterThanOrEqual(releasedAt - heldFrom);
  });

  it("writes anyway after l7WaitMs, with one log line naming the endpoint", async () => {
    const l7 = new FakeL7();
    const slow = new PolicyEngine({
      registry,
      audit: false,
      log: (m) => logs.push(m),
      maps: new PolicyMaps(maps, { hostAddresses: () => [] }),
      l7,
      l7WaitMs: 40,
    });
    slow.start();
    l7.missing = ["default/app1"];
    new PolicyStore({ installer: slow, log: () => {} }).apply([{ source: "p.yaml", text: httpCnp("l7") }]);
    await slow.whenWritten();
    expect(info(11)?.enforceIngress).toBe(true);
    expect(logs.filter((l) => l.includes("no listener for default/app1"))).toHaveLength(1);
  });

  it("trace by address resolves as fl_ipcache does (endpoint, host, longest CIDR, world), and by identity", () => {
    const hostMaps = new PolicyMaps(
      { policy: new MemMap("p"), ipcache: new MemMap("i"), endpoints: new MemMap("e"), cgroups: new MemMap("c") },
      { hostAddresses: () => ["192.0.2.1"] },
    );
    hostMaps.refreshHostAddresses();
    const e = new PolicyEngine({ registry, audit: false, log: () => {}, maps: hostMaps });
    e.start();
    const cidrPolicy = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: from-cidr
spec:
  endpointSelector:
    matchLabels: {app: app1}
  ingress:
    - fromCIDRSet: [{cidr: 10.9.0.0/16, except: [10.9.9.0/24]}]
      toPorts: [{ports: [{port: "80", protocol: TCP}]}]
`;
    expect(new PolicyStore({ installer: e, log: () => {} }).apply([{ source: "c.yaml", text: cidrPolicy }]).errors).toEqual([]);
    const to = { toPod: "app1", dport: 80, protocol: "TCP" };
    const cidr = e.current.cidrIdentities.find((c) => c.cidr === "10.9.0.0/16")?.identity;
    const inside = e.trace({ fromIp: "10.9.1.1", ...to });
    expect([inside.result.verdict, inside.fromIdentity]).toEqual(["FORWARDED", cidr]);
    expect(inside.result.lines[0]).toContain("10.9.1.1 cidr:10.9.0.0/16");
    expect(e.trace({ fromIp: "10.9.9.1", ...to }).result.verdict).toBe("DROPPED"); // the except
    const world = e.trace({ fromIp: "203.0.113.9", ...to });
    expect([world.result.verdict, world.fromIdentity]).toEqual(["DROPPED", 2]);
    const host = e.trace({ fromIp: "192.0.2.1", ...to });
    expect([host.result.verdict, host.fromIdentity]).toEqual(["FORWARDED", 1]); // allow-localhost
    const pod = e.trace({ fromIp: "10.7.0.2", ...to });
    expect([pod.result.verdict, pod.fromIdentity]).toEqual(["DROPPED", registry.get("default", "app2")?.identity]);
    expect(e.trace({ fromIdentity: cidr, ...to }).result.verdict).toBe("FORWARDED");
    expect(e.trace({ fromIdentity: 2, ...to }).result.verdict).toBe("DROPPED");
    const out = e.trace({ fromPod: "app1", toIp: "10.9.1.1", dport: 443, protocol: "TCP" });
    expect([out.result.verdict, out.toIdentity]).toEqual(["FORWARDED", cidr]);
  });

  it("trace refuses what it cannot answer, naming it", () => {
    expect(() => engine.trace({ fromPod: "app2", fromIp: "10.7.0.2", toPod: "app1", dport: 80, protocol: "TCP" })).toThrow(
      "give exactly one of from pod, from IP and from identity (2 given)",
    );
    expect(() => engine.trace({ fromPod: "app2", dport: 80, protocol: "TCP" })).toThrow(
      "exactly one of to pod, to IP and to identity (none given)",
    );
    expect(() => engine.trace({ fromIp: "10.7.0", toPod: "app1", dport: 80, protocol: "TCP" })).toThrow(
      'from IP "10.7.0" is not an IPv4 or IPv6 address',
    );
    expect(() => engine.trace({ fromIdentity: 0, toPod: "app1", dport: 80, protocol: "TCP" })).toThrow(
      "from identity 0 is not a security identity",
    );
    expect(() => engine.trace({ fromPod: "default/nope", toPod: "app1", dport: 80, protocol: "TCP" })).toThrow(
      "from pod default/nope is not an endpoint of this node",
    );
    expect(() => engine.trace({ fromPod: "a/b/c", toPod: "app1", dport: 80, protocol: "TCP" })).toThrow(
      'from pod "a/b/c" is not NAMESPACE/NAME',
    );
    expect(() => engine.trace({ fromPod: "app2", toPod: "app1", dport: 70000, protocol: "TCP" })).toThrow("dport 70000");
    expect(() => engine.trace({ fromPod: "app2", toPod: "app1", dport: 80, protocol: "SCTP" })).toThrow('protocol "SCTP"');
    expect(() => engine.trace({ fromPod: "app2", toPod: "app1", dport: 80, protocol: "TCP", httpMethod: "GET" })).toThrow("both");
  });
});
