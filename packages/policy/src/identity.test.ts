import { describe, expect, it } from "vitest";
import { addressIdentity, cidrIdentities, endpointIdentity, identityLabels, MIN_CIDR_IDENTITY, MIN_ENDPOINT_IDENTITY } from "./identity.js";
import { portPrefixes } from "./ports.js";

describe("identities", () => {
  it("endpoint identity: FNV-1a-32 of the sorted labels with the namespace, pinned to known values", () => {
    expect(identityLabels("default", { b: "2", a: "1" })).toEqual(["a=1", "b=2", "io.kubernetes.pod.namespace=default"]);
    // These numbers are the cross-node contract: change them only with docs/policy.md.
    expect(endpointIdentity("default", { app: "app1" })).toBe(1320593537);
    expect(endpointIdentity("default", { app: "app2" })).toBe(1358109330);
    expect(endpointIdentity("default", { app: "app1" })).toBe(endpointIdentity("default", { app: "app1" }));
    expect(endpointIdentity("other", { app: "app1" })).not.toBe(endpointIdentity("default", { app: "app1" }));
    // the namespace label always wins over a label of the same name
    expect(endpointIdentity("n", { "io.kubernetes.pod.namespace": "x" })).toBe(endpointIdentity("n", {}));
    for (let i = 0; i < 1000; i++) {
      const id = endpointIdentity(`ns${i}`, { app: `a${i}` });
      expect(id >= MIN_ENDPOINT_IDENTITY && id < MIN_CIDR_IDENTITY).toBe(true);
    }
  });

  it("CIDR identities: in [2^31, 2^32), unique, independent of input order", () => {
    const prefixes = Array.from({ length: 2000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    const a = cidrIdentities(prefixes);
    const b = cidrIdentities([...prefixes].reverse().concat(prefixes[0]));
    expect(b).toEqual(a);
    expect(new Set(a.map((x) => x.identity)).size).toBe(2000);
    for (const x of a) expect(x.identity >= 2 ** 31 && x.identity < 2 ** 32).toBe(true);
    expect(cidrIdentities(["10.0.0.0/8"])[0].identity).toBe(cidrIdentities(["10.0.0.0/8", "192.168.0.0/16"])[0].identity);
  });

  it("an address takes the longest CIDR identity holding it, else world (2)", () => {
    const ids = cidrIdentities(["10.0.0.0/8", "10.1.0.0/16", "::/0"]);
    const by = Object.fromEntries(ids.map((x) => [x.cidr, x.identity]));
    expect(addressIdentity(ids, "10.1.2.3")).toBe(by["10.1.0.0/16"]);
    expect(addressIdentity(ids, "10.2.2.3")).toBe(by["10.0.0.0/8"]);
    expect(addressIdentity(ids, "11.0.0.1")).toBe(2);
    expect(addressIdentity(ids, "fe80::1")).toBe(by["::/0"]);
    // an IPv4-mapped address is its IPv4 address, as fl_ipcache keys it
    expect(addressIdentity(ids, "::ffff:10.1.2.3")).toBe(by["10.1.0.0/16"]);
  });
});

describe("portPrefixes", () => {
  it.each([
    [80, 80, [[80, 16]]],
    [0, 65535, [[0, 0]]],
    [
      1,
      65535,
      [
        [1, 16],
        [2, 15],
        [4, 14],
        [8, 13],
        [16, 12],
        [32, 11],
        [64, 10],
        [128, 9],
        [256, 8],
        [512, 7],
        [1024, 6],
        [2048, 5],
        [4096, 4],
        [8192, 3],
        [16384, 2],
        [32768, 1],
      ],
    ],
    [
      8000,
      8080,
      [
        [8000, 10],
        [8064, 12],
        [8080, 16],
      ],
    ],
    [1024, 2047, [[1024, 6]]],
  ])("%i-%i", (lo, hi, expected) => {
    const got = portPrefixes(lo, hi).map((p) => [p.port, p.len]);
    // every block is aligned, blocks tile lo..hi exactly
    let next = lo;
    for (const [port, len] of got) {
      expect(port).toBe(next);
      expect(port % 2 ** (16 - len)).toBe(0);
      next = port + 2 ** (16 - len);
    }
    expect(next - 1).toBe(hi);
    expect(got).toEqual(expected);
  });
});
