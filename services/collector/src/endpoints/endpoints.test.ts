import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { monoNowNs } from "../clock/monotonic.js";
import { identityFor, identityLabels } from "./identity.js";
import { netnsPath } from "./netns.js";
import { EndpointRegistry } from "./registry.js";
import { type EndpointFacts, EndpointsFile, reconcile } from "./source.js";
import { EndpointSpecError, parseEndpointsFile } from "./spec.js";

const facts: EndpointFacts = {
  ifindexOf: async (n) => Number(n.replace(/\D/g, "")) || 1,
  netnsAddresses: async (ns) => [`10.9.0.${ns.length}`],
};

describe("identities", () => {
  it("depend on the label set only, not its order", () => {
    expect(identityFor("default", { a: "1", b: "2" })).toBe(identityFor("default", { b: "2", a: "1" }));
  });
  it("differ across namespaces and label values", () => {
    const base = identityFor("default", { app: "web" });
    expect(identityFor("shop", { app: "web" })).not.toBe(base);
    expect(identityFor("default", { app: "api" })).not.toBe(base);
  });
  it("stay out of the reserved range", () => {
    for (let i = 0; i < 1000; i++) expect(identityFor("ns", { i: String(i) })).toBeGreaterThanOrEqual(256);
  });
  it("are refused when a different label set already has the same number", () => {
    // Find two label sets whose hashes collide (a birthday search over ~2^31 numbers).
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const id = identityFor("default", { n: String(i) });
      const prev = seen.get(id);
      if (prev !== undefined) pair = [prev, String(i)];
      seen.set(id, String(i));
    }
    const reg = new EndpointRegistry();
    const spec = (name: string, n: string) => ({ name, namespace: "default", labels: { n }, netns: name, interface: `v${name}` });
    reg.upsert(spec("a", pair[0]), { ifindex: 1, ips: ["10.1.0.1"] });
    reg.upsert(spec("same", pair[0]), { ifindex: 3, ips: ["10.1.0.3"] }); // same labels: same identity, fine
    expect(() => reg.upsert(spec("b", pair[1]), { ifindex: 2, ips: ["10.1.0.2"] })).toThrow(
      new RegExp(`labels \\{io.kubernetes.pod.namespace=default,n=${pair[1]}\\} of default/b get identity \\d+, which endpoint default/a`),
    );
    expect(reg.get("default", "b")).toBeUndefined();
  });
  it("carry the namespace as a label", () => {
    expect(identityLabels("shop", { app: "x" })).toEqual(["app=x", "io.kubernetes.pod.namespace=shop"]);
  });
});

describe("netns", () => {
  it("resolves a name under /var/run/netns and keeps a path", () => {
    expect(netnsPath("app1")).toBe("/var/run/netns/app1");
    expect(netnsPath("/proc/1/ns/net")).toBe("/proc/1/ns/net");
  });
});

describe("endpoints file", () => {
  const ok = "endpoints:\n  - {name: web, namespace: default, labels: {app: web}, netns: n1, interface: veth1, ips: [10.0.0.1]}\n";

  it("parses YAML and JSON, defaulting the namespace", () => {
    expect(parseEndpointsFile(ok, "f")[0]).toMatchObject({ name: "web", labels: { app: "web" }, ips: ["10.0.0.1"] });
    const json = JSON.stringify([{ name: "db", netns: "n2", interface: "veth2" }]);
    expect(parseEndpointsFile(json, "f")[0]).toMatchObject({ name: "db", namespace: "default", labels: {} });
    const k8s = "- {name: w, netns: n, interface: v, labels: {app.kubernetes.io/name: web, tier: '', n: 1}}\n";
    expect(parseEndpointsFile(k8s, "f")[0].labels).toEqual({ "app.kubernetes.io/name": "web", tier: "", n: "1" });
  });

  it.each([
    ["endpoints: [{netns: n, interface: v}]", /endpoints\[0\]: "name" is required/],
    ["endpoints: [{name: Web, netns: n, interface: v}]", /name: "Web" is not a DNS-1123 name/],
    ["endpoints: [{name: w, netns: n, interface: v, ips: [10.0.0.300]}]", /ips\[0\]: "10.0.0.300" is not an IP address/],
    ["endpoints: [{name: w, netns: n, interface: v, colour: red}]", /unknown field "colour"/],
    ["endpoints: [{name: w, netns: n, interface: averyveryverylongname}]", /interface: .* is not an interface name/],
    ["endpoints: [{name: w, netns: n, interface: v}, {name: w, netns: n, interface: v}]", /default\/w declared twice/],
    ["endpoints: {", /not valid YAML/],
    ["endpoints: [{name: w, netns: n, interface: v, labels: {-app: x}}]", /endpoints\[0\].labels: "-app" is not a valid label key/],
    ["endpoints: [{name: w, netns: n, interface: v, labels: {Example.com/app: x}}]", /"Example.com\/app" is not a valid label key/],
    [`endpoints: [{name: w, netns: n, interface: v, labels: {${"k".repeat(64)}: x}}]`, /is not a valid label key/],
    ["endpoints: [{name: w, netns: n, interface: v, labels: {app: 'a b'}}]", /labels: "a b" is not a valid label value/],
    [`endpoints: [{name: w, netns: n, interface: v, labels: {app: ${"v".repeat(64)}}}]`, /is not a valid label value/],
    ["42", /expected a list of endpoints/],
  ])("rejects %s", (text, msg) => {
    expect(() => parseEndpointsFile(text, "f")).toThrow(EndpointSpecError);
    expect(() => parseEndpointsFile(text, "f")).toThrow(msg);
  });

  it("applies changes: adds, updates in place and removes what the file no longer declares", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fl-ep-"));
    const path = join(dir, "endpoints.yaml");
    const reg = new EndpointRegistry();
    const events: string[] = [];
    reg.on("added", (e) => events.push(`+${e.name}`));
    reg.on("removed", (e) => events.push(`-${e.name}`));
    reg.on("updated", (_o, e) => events.push(`~${e.name}`));
    writeFileSync(path, "- {name: a, netns: nsa, interface: v1}\n- {name: b, netns: nsbb, interface: v2, labels: {x: y}}\n");
    const file = new EndpointsFile(path, reg, () => {}, facts);
    await file.apply();
    expect(reg.byAddress("10.9.0.3")?.name).toBe("a"); // IPs read from the netns when not given
    expect(reg.byInterface(2)?.name).toBe("b");
    const idA = reg.get("default", "a")?.id;
    writeFileSync(path, "- {name: a, netns: nsa, interface: v1, labels: {new: label}}\n");
    await file.apply();
    expect(events).toEqual(["+a", "+b", "~a", "-b"]);
    expect(reg.get("default", "a")?.id).toBe(idA);
    expect(reg.get("default", "a")?.labelStrings).toContain("new=label");
    expect(reg.byInterface(2)).toBeUndefined();
    expect(reg.namespaces()).toEqual(["default"]);
  });

  it("reports endpoints it cannot resolve and keeps the others", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fl-ep-"));
    const path = join(dir, "e.yaml");
    writeFileSync(path, "- {name: a, netns: n, interface: v1}\n- {name: b, netns: n, interface: gone}\n");
    const reg = new EndpointRegistry();
    const f = new EndpointsFile(path, reg, () => {}, {
      ...facts,
      ifindexOf: async (n) => {
        if (n === "gone") throw new Error("interface gone does not exist");
        return 1;
      },
    });
    await expect(f.apply()).rejects.toThrow(/default\/b: interface gone does not exist/);
    expect(reg.list().map((e) => e.name)).toEqual(["a"]);
  });
});

describe("registry over time", () => {
  const spec = (name: string, iface: string, ips: string[], labels: Record<string, string> = {}) => ({
    name,
    namespace: "default",
    labels,
    netns: `ns-${name}`,
    interface: iface,
    ips,
  });

  it("refuses an interface or address that belongs to another endpoint", () => {
    const reg = new EndpointRegistry();
    reg.upsert(spec("a", "v1", ["10.0.0.1"]), { ifindex: 1, ips: ["10.0.0.1"] });
    expect(() => reg.upsert(spec("b", "v1", ["10.0.0.2"]), { ifindex: 1, ips: ["10.0.0.2"] })).toThrow(
      /interface v1 already belongs to endpoint default\/a/,
    );
    expect(() => reg.upsert(spec("b", "v2", ["10.0.0.1"]), { ifindex: 2, ips: ["10.0.0.1"] })).toThrow(
      /address 10.0.0.1 already belongs to endpoint default\/a/,
    );
    expect(reg.list().map((e) => e.name)).toEqual(["a"]);
  });

  it("names an address by the endpoint that had it when the flow happened", async () => {
    const reg = new EndpointRegistry();
    const v1 = reg.upsert(spec("a", "v1", ["10.0.0.1"], { app: "old" }), { ifindex: 1, ips: ["10.0.0.1"] });
    const during = v1.sinceNs + 1;
    // Each change must happen at a later time than the one before it.
    await vi.waitFor(() => expect(monoNowNs()).toBeGreaterThan(during));
    const v2 = reg.upsert(spec("a", "v1", ["10.0.0.1"], { app: "new" }), { ifindex: 1, ips: ["10.0.0.1"] });
    await vi.waitFor(() => expect(monoNowNs()).toBeGreaterThan(v2.sinceNs));
    reg.remove("default", "a");
    expect(reg.byAddress("10.0.0.1")).toBeUndefined();
    expect(reg.byAddressAt("10.0.0.1", during)?.labels).toEqual({ app: "old" });
    expect(reg.byInterfaceAt(1, during)?.name).toBe("a");
    expect(reg.byAddressAt("10.0.0.1", v1.sinceNs - 1)).toBeUndefined();
  });

  it("follows a recreated interface on reconcile and keeps unchanged endpoints as they are", async () => {
    const reg = new EndpointRegistry();
    let ifindex = 7;
    const f: EndpointFacts = { ifindexOf: async () => ifindex, netnsAddresses: async () => ["10.0.0.9"] };
    const events: string[] = [];
    reg.on("updated", (o, n) => events.push(`${o.ifindex}->${n.ifindex}`));
    await reconcile(reg, [spec("a", "v1", ["10.0.0.9"])], f);
    expect(reg.byInterface(7)?.name).toBe("a");
    await reconcile(reg, [], f);
    expect(events).toEqual([]);
    ifindex = 12; // veth deleted and created again
    await reconcile(reg, [], f);
    expect(events).toEqual(["7->12"]);
    expect(reg.byInterface(12)?.name).toBe("a");
  });

  it("keeps an endpoint whose interface vanished during a re-apply, and applies one pass at a time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fl-ep-"));
    const path = join(dir, "e.yaml");
    writeFileSync(path, "- {name: a, netns: n, interface: v1, ips: [10.0.0.1]}\n");
    const reg = new EndpointRegistry();
    let present = true;
    let calls = 0;
    const f = new EndpointsFile(path, reg, () => {}, {
      ifindexOf: async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 5));
        if (!present) throw new Error("interface v1 does not exist");
        return 3;
      },
      netnsAddresses: async () => [],
    });
    await f.apply();
    present = false;
    await expect(f.apply()).rejects.toThrow(/interface v1 does not exist/);
    expect(reg.get("default", "a")).toBeDefined();
    expect([...f.pending.keys()]).toEqual(["default/a"]);
    present = true;
    calls = 0;
    await Promise.all([f.apply(), f.apply(), f.apply()]);
    expect(calls).toBe(2); // the running pass plus one more for the changes during it
  });
});
