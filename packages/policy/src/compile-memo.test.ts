// The compiler keeps facts between compilations (per policy object, and the last compilation's CIDR
// identities and index). On random policy sets: a compilation gives the same output however many
// other compilations ran before it and in whatever order the policies come.
import { describe, expect, it, vi } from "vitest";
import { formatPrefix } from "./cidr.js";
import { compilePolicies } from "./compile.js";
import { endpointIdentity } from "./identity.js";
import type { PeerRule, Policy, PolicyEndpoint, PolicyRule, PortRule, Selector } from "./model.js";

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  return { next, int, pick };
}

const NAMESPACES = ["default", "other"];
const APPS = ["a", "b", "c"];

function generator(seed: number) {
  const r = rng(seed);
  const selector = (peer: boolean): Selector => {
    const s: Selector = { matchLabels: {}, matchExpressions: [] };
    if (r.next() < 0.8) s.matchLabels.app = r.pick(APPS);
    if (peer && r.next() < 0.2) s.matchLabels["io.kubernetes.pod.namespace"] = r.pick(NAMESPACES);
    if (r.next() < 0.2) s.matchExpressions.push({ key: "team", operator: r.pick(["Exists", "DoesNotExist"] as const), values: [] });
    return s;
  };
  /** A prefix of 10.0.0.0/8 or 2001:db8::/32 and maybe an except inside it. */
  const cidr = () => {
    const v6 = r.next() < 0.25;
    const bits = v6 ? 128 : 32;
    const len = r.pick(v6 ? [32, 48, 64, 120] : [8, 16, 24, 28]);
    const base = v6 ? 0x2001_0db8n << 96n : 10n << 24n;
    const addr = base | (BigInt(r.int(4)) << BigInt(bits - len));
    const inner = Math.min(bits, len + 4);
    const except =
      r.next() < 0.3 ? [formatPrefix({ family: v6 ? 6 : 4, addr: addr | (BigInt(r.int(16)) << BigInt(bits - inner)), len: inner })] : [];
    return { cidr: formatPrefix({ family: v6 ? 6 : 4, addr, len }), except };
  };
  const portRule = (l7: boolean): PortRule => ({
    ports: [{ protocol: r.pick(["TCP", "UDP", "ANY"] as const), ...(r.next() < 0.9 && { port: r.pick([80, 443, 8080]) }) }],
    ...(l7 && r.next() < 0.3 && { http: [{ method: r.pick(["GET", "POST"]) }] }),
  });
  const peerRule = (ingressAllow: boolean): PeerRule => {
    const kind = r.int(4);
    return {
      ...(kind === 0 && { endpoints: [selector(true)] }),
      ...(kind === 1 && { cidrs: [cidr(), ...(r.next() < 0.3 ? [cidr()] : [])] }),
      ...(kind === 2 && { entities: [r.pick(["world", "host", "all"] as const)] }),
      ...((kind === 3 || r.next() < 0.6) && { toPorts: [portRule(ingressAllow)] }),
    };
  };
  const policy = (i: number): Policy => {
    const rule: PolicyRule = {
      path: "spec",
      endpointSelector: selector(false),
      ingress: [],
      ingressDeny: [],
      egress: [],
      egressDeny: [],
      enableDefaultDeny: r.next() < 0.15 ? { ingress: false } : {},
    };
    for (const s of ["ingress", "ingressDeny", "egress", "egressDeny"] as const)
      for (let j = r.next() < 0.5 ? r.int(3) : 0; j > 0; j--) rule[s].push(peerRule(s === "ingress"));
    const cluster = r.next() < 0.2;
    return {
      ref: {
        kind: cluster ? "CiliumClusterwideNetworkPolicy" : "CiliumNetworkPolicy",
        namespace: cluster ? "" : r.pick(NAMESPACES),
        name: `p${i}`,
      },
      audit: r.next() < 0.15,
      rules: [rule],
      text: "",
      source: "random",
    };
  };
  const endpoints = (): PolicyEndpoint[] =>
    Array.from({ length: 2 + r.int(5) }, () => {
      const namespace = r.pick(NAMESPACES);
      const labels = { app: r.pick(APPS), ...(r.next() < 0.5 && { team: "t" }) };
      return { identity: endpointIdentity(namespace, labels), namespace, labels };
    });
  const shuffle = <T>(xs: T[]): T[] => {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
  return { policy, endpoints, shuffle };
}

/** compilePolicies of a new module instance: nothing memoized from earlier compilations. */
async function freshCompiler(): Promise<typeof compilePolicies> {
  vi.resetModules();
  return (await import("./compile.js")).compilePolicies;
}

describe("compilePolicies between compilations", () => {
  it("gives what a compiler with nothing memoized gives, after other compilations and in any policy order", async () => {
    const g = generator(9);
    let entries = 0;
    for (let round = 0; round < 100; round++) {
      const eps = g.endpoints();
      const policies = Array.from({ length: 1 + (round % 10) }, (_, i) => g.policy(i));
      const want = JSON.stringify((await freshCompiler())(policies, eps));
      entries += JSON.parse(want).entries.length;
      // This module's compiler: memoized facts of earlier rounds, then of this set, then of another set in between.
      expect(JSON.stringify(compilePolicies(policies, eps))).toBe(want);
      expect(JSON.stringify(compilePolicies(g.shuffle(policies), eps))).toBe(want);
      compilePolicies(policies.slice(1), eps.slice(1), { audit: true });
      expect(JSON.stringify(compilePolicies(g.shuffle(policies), eps))).toBe(want);
    }
    expect(entries).toBeGreaterThan(500);
  });
});
