import type { CompiledPolicy } from "@flowlens/policy";
import { describe, expect, it } from "vitest";
import { buildL7Config, mergeL7Configs } from "./l7-config.js";

const compiled: Pick<CompiledPolicy, "l7" | "rules"> = {
  l7: [
    { subject: 70000, port: 80, proto: 6, rules: [{ peers: [70001], http: [{ method: "GET", path: "/public" }], ruleId: 2 }] },
    { subject: 70000, port: 8080, proto: 6, audit: true, rules: [{ peers: "any", http: [], ruleId: 3 }] },
    { subject: 70005, port: 80, proto: 6, rules: [{ peers: "any", http: [{ path: "/x" }], ruleId: 4 }] },
  ],
  rules: [
    { ruleId: 0, policies: [], description: "default deny" },
    { ruleId: 1, policies: [], description: "l4 only" },
    { ruleId: 2, policies: [{ name: "p", namespace: "default", kind: "CiliumNetworkPolicy" }], description: "http" },
    { ruleId: 3, policies: [{ name: "q", namespace: "", kind: "CiliumClusterwideNetworkPolicy" }], description: "any" },
    { ruleId: 4, policies: [], description: "not on this node" },
  ],
};

const endpoints = [
  { id: 7, identity: 70000, name: "app1", namespace: "default", netns: "fl-app1", ips: ["10.0.0.10"] },
  { id: 8, identity: 70001, name: "app2", namespace: "default", netns: "/proc/123/ns/net", ips: ["10.0.0.11"] },
];

describe("buildL7Config", () => {
  it("lists the endpoints whose identity has L7 ports, with their ports and rules", () => {
    const c = buildL7Config(compiled, endpoints, { pinPath: "/sys/fs/bpf/fl-unit", eventsSocket: "/srv/fl-unit/l7/events.sock" });
    expect(c.maps).toEqual({ l7Socks: "/sys/fs/bpf/fl-unit/fl_l7_socks", ipcache: "/sys/fs/bpf/fl-unit/fl_ipcache" });
    expect(c.eventsSocket).toBe("/srv/fl-unit/l7/events.sock");
    expect(c.endpoints).toEqual([
      {
        endpointId: 7,
        name: "default/app1",
        netns: "/var/run/netns/fl-app1",
        identity: 70000,
        ips: ["10.0.0.10"],
        ports: [compiled.l7[0], compiled.l7[1]],
      },
    ]);
    expect(c.rules.map((r) => r.ruleId)).toEqual([2, 3]);
  });

  it("is empty without L7 ports", () => {
    const c = buildL7Config({ ...compiled, l7: [] }, endpoints, { pinPath: "/p", eventsSocket: "/s" });
    expect(c.endpoints).toEqual([]);
    expect(c.rules).toEqual([]);
  });
});

describe("mergeL7Configs", () => {
  const where = { pinPath: "/p", eventsSocket: "/s" };
  const prev = buildL7Config(compiled, endpoints, where);

  it("serves the new ports and keeps the dropped ones and endpoints until the maps stop redirecting them", () => {
    const next = buildL7Config(
      {
        l7: [{ subject: 70001, port: 80, proto: 6, rules: [{ peers: "any", http: [], ruleId: 5 }] }, compiled.l7[0]],
        rules: [...compiled.rules, { ruleId: 5, policies: [], description: "new" }],
      },
      endpoints,
      where,
    );
    const m = mergeL7Configs(prev, next);
    expect(m.endpoints.map((e) => [e.endpointId, e.ports.map((p) => p.port)])).toEqual([
      [7, [80, 8080]],
      [8, [80]],
    ]);
    expect(m.rules.map((r) => r.ruleId).sort()).toEqual([2, 3, 5]);
  });

  it("is the new config when nothing is dropped", () => {
    expect(mergeL7Configs(prev, prev)).toEqual(prev);
  });
});
