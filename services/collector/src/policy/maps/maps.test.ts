// The map writer against in-memory maps: diffs, write order, adoption of pinned state, pruning.
import { describe, expect, it } from "vitest";
import { decodeEndpointInfo, endpointInfo, ipcacheKey, ipcacheValue, policyKey, u32Key, u64Key } from "./keys.js";
import { type CompiledMaps, type KvMap, type PolicyMapSet, PolicyMaps } from "./maps.js";

type Op = string;

/** A map that records every write as "name:update:<key hex>" / "name:delete:<key hex>". */
function memMap(name: string, ops: Op[], maxEntries = 1 << 20): KvMap & { data: Map<string, Buffer> } {
  const data = new Map<string, Buffer>();
  return {
    name,
    maxEntries,
    data,
    update(k, v) {
      const key = Buffer.from(k).toString("hex");
      if (!data.has(key) && data.size >= maxEntries) throw new Error("E2BIG");
      ops.push(`${name}:update:${key}`);
      data.set(key, Buffer.from(v));
    },
    delete(k) {
      const key = Buffer.from(k).toString("hex");
      ops.push(`${name}:delete:${key}`);
      return data.delete(key);
    },
    *entries() {
      for (const [k, v] of data) yield [Buffer.from(k, "hex"), v] as [Buffer, Buffer];
    },
  };
}

function mapSet(ops: Op[], policyMax?: number) {
  return {
    policy: memMap("policy", ops, policyMax),
    ipcache: memMap("ipcache", ops),
    endpoints: memMap("endpoints", ops),
    cgroups: memMap("cgroups", ops),
  };
}

const S = 70001;
const P = 70002;

function entry(o: Partial<CompiledMaps["entries"][number]> = {}): CompiledMaps["entries"][number] {
  return {
    subject: S,
    direction: "ingress",
    peer: P,
    proto: 6,
    port: 80,
    portPrefixLen: 16,
    action: "allow",
    audit: false,
    l7: false,
    ruleId: 1,
    ...o,
  };
}

function compiled(entries: CompiledMaps["entries"], o: Partial<CompiledMaps> = {}): CompiledMaps {
  return {
    entries,
    subjects: [{ identity: S, enforceIngress: true, enforceEgress: false, auditIngress: false, auditEgress: false }],
    cidrIdentities: [],
    ...o,
  };
}

const noHost = { hostAddresses: () => [] };

describe("PolicyMaps", () => {
  it("writes entries, the endpoint's enforce bits and CIDR identities, then only what changed", () => {
    const ops: Op[] = [];
    const m = mapSet(ops);
    const w = new PolicyMaps(m, noHost);
    w.setEndpoint(12, { endpointId: 3, identity: S });
    expect(decodeEndpointInfo(m.endpoints.data.get(u32Key(12).toString("hex")) as Buffer).enforceIngress).toBe(false);

    const c1 = compiled([entry(), entry({ port: 443, ruleId: 2 })], { cidrIdentities: [{ cidr: "10.0.0.0/8", identity: 0x8000_0001 }] });
    expect(w.applyCompiled(c1)).toEqual({ written: 4, deleted: 0 });
    expect(m.policy.data.size).toBe(2);
    expect(m.ipcache.data.get(ipcacheKey("10.0.0.0/8").toString("hex"))).toEqual(ipcacheValue(0x8000_0001, 0));
    expect(decodeEndpointInfo(m.endpoints.data.get(u32Key(12).toString("hex")) as Buffer)).toMatchObject({
      endpointId: 3,
      identity: S,
      enforceIngress: true,
      enforceEgress: false,
    });

    ops.length = 0;
    expect(w.applyCompiled(c1)).toEqual({ written: 0, deleted: 0 });
    expect(ops).toEqual([]);
  });

  it("keeps IPv4 addresses out of IPv6 CIDR identities with a world entry at the IPv4 root", () => {
    const m = mapSet([]);
    const w = new PolicyMaps(m, noHost);
    const v4Root = ipcacheKey("0.0.0.0/0").toString("hex");
    w.applyCompiled(compiled([], { cidrIdentities: [{ cidr: "::/0", identity: 0x8000_0001 }] }));
    expect(m.ipcache.data.get(v4Root)).toEqual(ipcacheValue(2, 0));
    // a policy naming 0.0.0.0/0 owns that key
    w.applyCompiled(
      compiled([], {
        cidrIdentities: [
          { cidr: "0.0.0.0/0", identity: 0x8000_0002 },
          { cidr: "::/0", identity: 0x8000_0001 },
        ],
      }),
    );
    expect(m.ipcache.data.get(v4Root)).toEqual(ipcacheValue(0x8000_0002, 0));
    w.applyCompiled(compiled([], { cidrIdentities: [{ cidr: "10.0.0.0/8", identity: 0x8000_0003 }] }));
    expect(m.ipcache.data.has(v4Root)).toBe(false);
  });

  it("adds and replaces before it deletes, across maps", () => {
    const ops: Op[] = [];
    const w = new PolicyMaps(mapSet(ops), noHost);
    w.setEndpoint(12, { endpointId: 3, identity: S });
    w.applyCompiled(compiled([entry({ port: 80 })], { cidrIdentities: [{ cidr: "10.0.0.0/8", identity: 0x8000_0001 }] }));
    ops.length = 0;
    // New policy: port 80 gone, 8080 new, CIDR changed, ingress no longer enforced.
    w.applyCompiled(
      compiled([entry({ port: 8080 })], {
        cidrIdentities: [{ cidr: "192.168.0.0/16", identity: 0x8000_0002 }],
        subjects: [],
      }),
    );
    const kinds = ops.map((o) => o.split(":").slice(0, 2).join(":"));
    expect(kinds).toEqual(["policy:update", "ipcache:update", "endpoints:update", "ipcache:delete", "policy:delete"]);
    expect(ops[4]).toBe(`policy:delete:${policyKey(entry({ port: 80 })).toString("hex")}`);
  });

  it("deletes first, and says so, only when the map has no room for both", () => {
    const ops: Op[] = [];
    const logs: string[] = [];
    const w = new PolicyMaps(mapSet(ops, 2), { ...noHost, log: (l) => logs.push(l) });
    w.applyCompiled(compiled([entry({ port: 1 }), entry({ port: 2 })]));
    ops.length = 0;
    w.applyCompiled(compiled([entry({ port: 2 }), entry({ port: 3 })]));
    expect(ops.map((o) => o.split(":").slice(0, 2).join(":"))).toEqual(["policy:delete", "policy:update"]);
    expect(logs).toEqual(["fl_policy: not enough room to add before deleting; deleting 1 stale entries first"]);
    expect(() => w.applyCompiled(compiled([entry({ port: 4 }), entry({ port: 5 }), entry({ port: 6 })]))).toThrow(
      "the policy needs 3 fl_policy entries; the map holds at most 2",
    );
  });

  it("adopts pinned maps: identical state is not rewritten, enforcement holds until the first apply", () => {
    const ops: Op[] = [];
    const m = mapSet(ops);
    const first = new PolicyMaps(m, noHost);
    first.setEndpoint(12, { endpointId: 3, identity: S });
    first.setCgroup(99n, { endpointId: 3, identity: S });
    first.setIpIdentity("10.9.0.1", S, 3);
    const c = compiled([entry()]);
    first.applyCompiled(c);

    ops.length = 0;
    const second = new PolicyMaps(m, noHost); // a restart over the same pinned maps
    second.setEndpoint(12, { endpointId: 3, identity: S }); // before any policy is applied again
    second.setCgroup(99n, { endpointId: 3, identity: S });
    second.setIpIdentity("10.9.0.1", S, 3);
    expect(second.applyCompiled(c)).toEqual({ written: 0, deleted: 0 });
    expect(ops).toEqual([]);
    expect(second.counts()).toEqual({ policy: 1, ipcache: 1, endpoints: 1, cgroups: 1 });
  });

  it("prunes adopted endpoints, cgroups and addresses nobody claimed since start", () => {
    const ops: Op[] = [];
    const m = mapSet(ops);
    m.endpoints.update(
      u32Key(12),
      endpointInfo({ endpointId: 3, identity: S, enforceIngress: true, enforceEgress: false, auditIngress: false, auditEgress: false }),
    );
    m.endpoints.update(
      u32Key(13),
      endpointInfo({ endpointId: 4, identity: P, enforceIngress: false, enforceEgress: false, auditIngress: false, auditEgress: false }),
    );
    m.cgroups.update(
      u64Key(77n),
      endpointInfo({ endpointId: 4, identity: P, enforceIngress: false, enforceEgress: false, auditIngress: false, auditEgress: false }),
    );
    m.ipcache.update(ipcacheKey("10.9.0.1"), ipcacheValue(S, 3));
    m.ipcache.update(ipcacheKey("10.9.0.2"), ipcacheValue(P, 4));
    m.ipcache.update(ipcacheKey("10.0.0.0/8"), ipcacheValue(0x8000_0001, 0));
    const w = new PolicyMaps(m, noHost);
    w.setEndpoint(12, { endpointId: 3, identity: S });
    w.setIpIdentity("10.9.0.1", S, 3);
    // Adopted endpoint 12 keeps enforcing ingress: its subject state came from the pinned map.
    expect(decodeEndpointInfo(m.endpoints.data.get(u32Key(12).toString("hex")) as Buffer).enforceIngress).toBe(true);
    expect(w.pruneAdopted()).toEqual({ ifindexes: [13], cgroups: [77n], ips: 1 });
    expect([...m.ipcache.data.keys()].sort()).toEqual(
      [ipcacheKey("10.9.0.1"), ipcacheKey("10.0.0.0/8")].map((k) => k.toString("hex")).sort(),
    );
    expect(w.pruneAdopted()).toEqual({ ifindexes: [], cgroups: [], ips: 0 });
  });

  it("maps host addresses to identity 1 and follows their changes; an endpoint address wins over a CIDR", () => {
    const ops: Op[] = [];
    const m = mapSet(ops);
    let host = ["192.0.2.1", "fe80::1%eth0", "2001:db8::1"];
    const w = new PolicyMaps(m, { hostAddresses: () => host });
    w.refreshHostAddresses();
    expect(m.ipcache.data.get(ipcacheKey("192.0.2.1").toString("hex"))).toEqual(ipcacheValue(1, 0));
    expect(m.ipcache.data.get(ipcacheKey("2001:db8::1").toString("hex"))).toEqual(ipcacheValue(1, 0));
    host = ["192.0.2.7"];
    w.refreshHostAddresses();
    expect(m.ipcache.data.has(ipcacheKey("192.0.2.1").toString("hex"))).toBe(false);
    expect(m.ipcache.data.size).toBe(1);

    w.applyCompiled(compiled([], { cidrIdentities: [{ cidr: "10.9.0.1/32", identity: 0x8000_0005 }] }));
    w.setIpIdentity("10.9.0.1", S, 3);
    expect(m.ipcache.data.get(ipcacheKey("10.9.0.1").toString("hex"))).toEqual(ipcacheValue(S, 3));
    w.deleteIp("10.9.0.1"); // the CIDR identity comes back
    expect(m.ipcache.data.get(ipcacheKey("10.9.0.1").toString("hex"))).toEqual(ipcacheValue(0x8000_0005, 0));
  });

  it("deletes endpoints and cgroups on request", () => {
    const ops: Op[] = [];
    const m = mapSet(ops);
    const w = new PolicyMaps(m, noHost);
    w.setEndpoint(12, { endpointId: 3, identity: S });
    w.setCgroup(99n, { endpointId: 3, identity: S });
    w.deleteEndpoint(12);
    w.deleteCgroup(99n);
    w.deleteEndpoint(12);
    expect(w.counts()).toEqual({ policy: 0, ipcache: 0, endpoints: 0, cgroups: 0 });
    expect(ops.filter((o) => o.includes(":delete:"))).toHaveLength(2);
  });

  it("applies 10,000 entries and a one-entry change without rewriting the rest", () => {
    const ops: Op[] = [];
    const w = new PolicyMaps(mapSet(ops), noHost);
    const many = Array.from({ length: 10_000 }, (_, i) => entry({ peer: 100_000 + i, port: 1 + (i % 60000), ruleId: i + 1 }));
    expect(w.applyCompiled(compiled(many)).written).toBe(10_000);
    ops.length = 0;
    many[5] = entry({ peer: 100_005, port: 6, ruleId: 99_999 });
    expect(w.applyCompiled(compiled(many))).toEqual({ written: 1, deleted: 0 });
    expect(ops).toHaveLength(1);
  });

  it("names the map and the cause when a write fails", () => {
    const m: PolicyMapSet = mapSet([]);
    m.policy.update = () => {
      throw new Error("update map fl_policy: E2BIG — the map is full");
    };
    expect(() => new PolicyMaps(m, noHost).applyCompiled(compiled([entry()]))).toThrow(
      "write policy: update map fl_policy: E2BIG — the map is full",
    );
    expect(() => new PolicyMaps(mapSet([]), noHost).setIpIdentity("not-an-ip", S, 1)).toThrow(/not an IP address/);
  });
});
