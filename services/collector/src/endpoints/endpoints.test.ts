import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { identityFor, identityLabels } from "./identity.js";
import { EndpointRegistry } from "./registry.js";
import { type EndpointFacts, EndpointsFile } from "./source.js";
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
  it("carry the namespace as a label", () => {
    expect(identityLabels("shop", { app: "x" })).toEqual(["app=x", "io.kubernetes.pod.namespace=shop"]);
  });
});

describe("endpoints file", () => {
  const ok = "endpoints:\n  - {name: web, namespace: default, labels: {app: web}, netns: n1, interface: veth1, ips: [10.0.0.1]}\n";

  it("parses YAML and JSON, defaulting the namespace", () => {
    expect(parseEndpointsFile(ok, "f")[0]).toMatchObject({ name: "web", labels: { app: "web" }, ips: ["10.0.0.1"] });
    const json = JSON.stringify([{ name: "db", netns: "n2", interface: "veth2" }]);
    expect(parseEndpointsFile(json, "f")[0]).toMatchObject({ name: "db", namespace: "default", labels: {} });
  });

  it.each([
    ["endpoints: [{netns: n, interface: v}]", /endpoints\[0\]: "name" is required/],
    ["endpoints: [{name: Web, netns: n, interface: v}]", /name: "Web" is not a DNS-1123 name/],
    ["endpoints: [{name: w, netns: n, interface: v, ips: [10.0.0.300]}]", /ips\[0\]: "10.0.0.300" is not an IP address/],
    ["endpoints: [{name: w, netns: n, interface: v, colour: red}]", /unknown field "colour"/],
    ["endpoints: [{name: w, netns: n, interface: averyveryverylongname}]", /interface: .* is not an interface name/],
    ["endpoints: [{name: w, netns: n, interface: v}, {name: w, netns: n, interface: v}]", /default\/w declared twice/],
    ["endpoints: {", /not valid YAML/],
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
