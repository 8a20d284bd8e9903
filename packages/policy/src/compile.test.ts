import { describe, expect, it } from "vitest";
import { compilePolicies, IPPROTO_TCP, IPPROTO_UDP } from "./compile.js";
import type { CompiledPolicy, Direction } from "./compiled.js";
import { formatPolicyError } from "./errors.js";
import { addressIdentity, endpointIdentity, ReservedIdentity } from "./identity.js";
import { matchHttp } from "./l7.js";
import { l7PortOf, lookup, MatchType } from "./lookup.js";
import type { PolicyEndpoint } from "./model.js";
import { parsePolicyDocuments } from "./parse.js";

const endpoint = (namespace: string, labels: Record<string, string>): PolicyEndpoint => ({
  identity: endpointIdentity(namespace, labels),
  namespace,
  labels,
});
const APP1 = endpoint("default", { app: "app1" });
const APP2 = endpoint("default", { app: "app2" });
const APP3 = endpoint("default", { app: "app3" });
const OTHER2 = endpoint("other", { app: "app2" });
const ENDPOINTS = [APP1, APP2, APP3, OTHER2];

function compile(yaml: string, opts: { audit?: boolean; endpoints?: PolicyEndpoint[] } = {}): CompiledPolicy {
  const { policies, errors } = parsePolicyDocuments([{ source: "t.yaml", text: yaml }]);
  if (errors.length) throw new Error(errors.map(formatPolicyError).join("\n"));
  return compilePolicies(policies, opts.endpoints ?? ENDPOINTS, { audit: opts.audit });
}

/** Entries some policy wrote (without the allow-localhost entries every ingress-enforcing subject gets). */
const written = (c: CompiledPolicy) => c.entries.filter((e) => c.rules[e.ruleId].policies.length > 0);

const cnp = (spec: string, name = "p", meta = "") =>
  `---\napiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: ${name}\n${meta}spec:\n${spec}`;
const onApp1 = (body: string, name = "p", meta = "") => cnp(`  endpointSelector: {matchLabels: {app: app1}}\n${body}`, name, meta);

function verdict(
  c: CompiledPolicy,
  subject: PolicyEndpoint | number,
  direction: Direction,
  peer: PolicyEndpoint | number,
  port: number,
  proto = IPPROTO_TCP,
) {
  const id = (x: PolicyEndpoint | number) => (typeof x === "number" ? x : x.identity);
  return lookup(c, { subject: id(subject), direction, peer: id(peer), proto, port });
}

describe("compilePolicies: default deny per direction", () => {
  it("an ingress rule makes the selected endpoint default-deny on ingress only", () => {
    const c = compile(onApp1("  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n"));
    expect(c.subjects).toEqual([
      { identity: APP1.identity, enforceIngress: true, enforceEgress: false, auditIngress: false, auditEgress: false },
    ]);
    expect(verdict(c, APP1, "ingress", APP2, 80)).toMatchObject({ enforced: true, verdict: "FORWARDED", matchType: MatchType.L3_ONLY });
    expect(verdict(c, APP1, "ingress", APP3, 80)).toEqual({
      enforced: true,
      verdict: "DROPPED",
      l7: false,
      ruleId: 0,
      dropReason: "POLICY_DENIED",
      matchType: MatchType.NONE,
    });
    expect(verdict(c, APP1, "egress", APP3, 80)).toMatchObject({ enforced: false, verdict: "FORWARDED" });
    expect(verdict(c, APP2, "ingress", APP3, 80)).toMatchObject({ enforced: false });
  });

  it("ingress: [{}] denies all ingress; ingress: [] does not select the direction (as Cilium)", () => {
    expect(compile(onApp1("  ingress:\n    - {}\n")).subjects[0].enforceIngress).toBe(true);
    expect(verdict(compile(onApp1("  ingress:\n    - {}\n")), APP1, "ingress", APP2, 80).verdict).toBe("DROPPED");
    expect(compile(onApp1("  ingress: []\n")).subjects).toEqual([]);
  });

  it("enableDefaultDeny false adds an allow-all entry so that only the denies apply", () => {
    const c = compile(onApp1("  enableDefaultDeny: {egress: false}\n  egressDeny:\n    - toEndpoints: [{matchLabels: {app: app3}}]\n"));
    expect(c.subjects[0]).toMatchObject({ enforceEgress: true, enforceIngress: false });
    expect(verdict(c, APP1, "egress", APP2, 443)).toMatchObject({ verdict: "FORWARDED", matchType: MatchType.ALL });
    expect(verdict(c, APP1, "egress", APP3, 443)).toMatchObject({ verdict: "DROPPED", dropReason: "POLICY_DENY" });
    // another policy with default deny on closes the direction again
    const both = compile(
      `${onApp1("  enableDefaultDeny: {egress: false}\n  egressDeny:\n    - toEndpoints: [{matchLabels: {app: app3}}]\n")}${onApp1("  egress:\n    - toEndpoints: [{matchLabels: {app: app3}}]\n", "q")}`,
    );
    expect(verdict(both, APP1, "egress", APP2, 443).verdict).toBe("DROPPED");
  });
});

describe("compilePolicies: selectors and namespaces", () => {
  it("a namespaced policy's peers and subjects stay in its namespace unless a selector names one", () => {
    const c = compile(cnp("  endpointSelector: {matchLabels: {app: app2}}\n  ingress:\n    - fromEndpoints: [{}]\n"));
    expect(c.subjects.map((s) => s.identity)).toEqual([APP2.identity]); // not other/app2
    expect(verdict(c, APP2, "ingress", APP3, 1).verdict).toBe("FORWARDED");
    expect(verdict(c, APP2, "ingress", OTHER2, 1).verdict).toBe("DROPPED");
    const named = compile(
      onApp1("  ingress:\n    - fromEndpoints: [{matchExpressions: [{key: io.kubernetes.pod.namespace, operator: Exists}]}]\n"),
    );
    expect(verdict(named, APP1, "ingress", OTHER2, 1).verdict).toBe("FORWARDED");
  });

  it("matchExpressions In, NotIn, Exists, DoesNotExist", () => {
    const eps = [
      APP1,
      endpoint("default", { app: "a", tier: "web" }),
      endpoint("default", { app: "b", tier: "db" }),
      endpoint("default", { app: "c" }),
    ];
    const [, web, db, none] = eps;
    const allowed = (expr: string) => {
      const c = compile(onApp1(`  ingress:\n    - fromEndpoints: [{matchExpressions: [${expr}]}]\n`), { endpoints: eps });
      return [web, db, none].filter((p) => verdict(c, APP1, "ingress", p, 1).verdict === "FORWARDED");
    };
    expect(allowed("{key: tier, operator: In, values: [web]}")).toEqual([web]);
    expect(allowed("{key: tier, operator: NotIn, values: [web]}")).toEqual([db, none]);
    expect(allowed("{key: tier, operator: Exists}")).toEqual([web, db]);
    expect(allowed("{key: tier, operator: DoesNotExist}")).toEqual([none]);
  });

  it("endpoints sharing an identity count once; selectors resolve only against given endpoints", () => {
    const c = compile(onApp1("  ingress:\n    - fromEndpoints: [{matchLabels: {app: ghost}}]\n"), { endpoints: [APP1, APP1, APP2] });
    expect(written(c)).toEqual([]);
    expect(c.subjects).toHaveLength(1);
  });
});

describe("compilePolicies: deny beats allow", () => {
  it("drops allow prefixes a deny of the same peer covers, keeps the others", () => {
    const c = compile(
      onApp1(
        "  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '80', protocol: TCP}, {port: '8080', protocol: TCP}]}]\n" +
          "  ingressDeny:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '0', protocol: TCP}]}]\n"
            .replace("'0'", "'64'")
            .replace("}]}]", ", endPort: 127}]}]"),
      ),
    );
    // deny 64-127 = one /10 prefix; allow 80 lies inside it and is gone, 8080 stays
    expect(written(c).map((e) => [e.peer === APP2.identity, e.action, e.port, e.portPrefixLen])).toEqual([
      [true, "deny", 64, 10],
      [true, "allow", 8080, 16],
    ]);
    expect(verdict(c, APP1, "ingress", APP2, 80)).toMatchObject({
      verdict: "DROPPED",
      dropReason: "POLICY_DENY",
      matchType: MatchType.L3_L4,
    });
    expect(verdict(c, APP1, "ingress", APP2, 8080).verdict).toBe("FORWARDED");
  });

  it("a deny of any peer beats an allow of one peer, and the other way round", () => {
    const c = compile(
      onApp1(
        "  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n    - toPorts: [{ports: [{port: '443', protocol: TCP}]}]\n" +
          "  ingressDeny:\n    - toPorts: [{ports: [{port: '22', protocol: TCP}]}]\n    - fromEndpoints: [{matchLabels: {app: app3}}]\n      toPorts: [{ports: [{port: '443'}]}]\n",
      ),
    );
    expect(verdict(c, APP1, "ingress", APP2, 22)).toMatchObject({ verdict: "DROPPED", matchType: MatchType.L4_ONLY });
    expect(verdict(c, APP1, "ingress", APP2, 23)).toMatchObject({ verdict: "FORWARDED", matchType: MatchType.L3_ONLY });
    expect(verdict(c, APP1, "ingress", APP3, 443)).toMatchObject({ verdict: "DROPPED", dropReason: "POLICY_DENY" });
    expect(verdict(c, APP1, "ingress", OTHER2, 443)).toMatchObject({ verdict: "FORWARDED", matchType: MatchType.L4_ONLY });
  });

  it("an any-protocol deny covers every port; a same-key deny wins the merge", () => {
    const c = compile(
      `${onApp1("  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '80', protocol: TCP}]}]\n")}${onApp1("  ingressDeny:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n", "q")}`,
    );
    expect(written(c)).toHaveLength(1);
    expect(written(c)[0]).toMatchObject({ action: "deny", proto: 0 });
    const same = compile(
      `${onApp1("  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n")}${onApp1("  ingressDeny:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n", "q")}`,
    );
    expect(written(same)).toHaveLength(1);
    expect(same.rules[written(same)[0].ruleId].policies.map((p) => p.name)).toEqual(["q"]);
  });
});

describe("compilePolicies: CIDRs and entities", () => {
  const yaml = onApp1(
    "  egress:\n    - toCIDRSet: [{cidr: 192.0.2.0/24, except: [192.0.2.128/25]}]\n    - toCIDR: ['2001:db8::/32']\n      toPorts: [{ports: [{port: '443', protocol: TCP}]}]\n",
  );

  it("gives every named prefix (except included) its own identity above 2^31, and selects the cidr minus its except", () => {
    const c = compile(yaml);
    expect(c.cidrIdentities.map((x) => x.cidr)).toEqual(["192.0.2.0/24", "192.0.2.128/25", "2001:db8::/32"]);
    for (const x of c.cidrIdentities) expect(x.identity).toBeGreaterThanOrEqual(2 ** 31);
    const id = (ip: string) => addressIdentity(c.cidrIdentities, ip);
    expect(id("192.0.2.10")).toBe(c.cidrIdentities[0].identity);
    expect(id("192.0.2.200")).toBe(c.cidrIdentities[1].identity);
    expect(id("198.51.100.1")).toBe(ReservedIdentity.WORLD);
    expect(verdict(c, APP1, "egress", id("192.0.2.10"), 80).verdict).toBe("FORWARDED");
    expect(verdict(c, APP1, "egress", id("192.0.2.200"), 80).verdict).toBe("DROPPED");
    expect(verdict(c, APP1, "egress", id("2001:db8::1"), 443).verdict).toBe("FORWARDED");
    expect(verdict(c, APP1, "egress", id("2001:db8::1"), 80).verdict).toBe("DROPPED");
    expect(verdict(c, APP1, "egress", ReservedIdentity.WORLD, 80).verdict).toBe("DROPPED");
  });

  it("a CIDR identity another policy names inside the cidr is selected too, one in the except is not", () => {
    const c = compile(
      `${yaml}${cnp("  endpointSelector: {matchLabels: {app: app3}}\n  egress:\n    - toCIDR: [192.0.2.0/28, 192.0.2.128/28]\n", "q")}`,
    );
    const id = (ip: string) => addressIdentity(c.cidrIdentities, ip);
    expect(id("192.0.2.1")).not.toBe(id("192.0.2.100"));
    expect(verdict(c, APP1, "egress", id("192.0.2.1"), 80).verdict).toBe("FORWARDED");
    expect(verdict(c, APP1, "egress", id("192.0.2.129"), 80).verdict).toBe("DROPPED");
  });

  it("world = identity 2 and every CIDR identity; host = 1; all = any peer", () => {
    const c = compile(
      `${yaml}${onApp1("  ingress:\n    - fromEntities: [world, host]\n  egress:\n    - toEntities: [all]\n      toPorts: [{ports: [{port: '53', protocol: UDP}]}]\n", "q")}`,
    );
    const peers = new Set(c.entries.filter((e) => e.direction === "ingress").map((e) => e.peer));
    expect(peers).toEqual(new Set([1, 2, ...c.cidrIdentities.map((x) => x.identity)]));
    expect(verdict(c, APP1, "ingress", APP2, 80).verdict).toBe("DROPPED");
    expect(verdict(c, APP1, "egress", APP3, 53, IPPROTO_UDP)).toMatchObject({ verdict: "FORWARDED", matchType: MatchType.L4_ONLY });
  });
});

describe("compilePolicies: allow-localhost (Cilium's default)", () => {
  it("the host reaches an ingress default-deny endpoint at any port and protocol, by a rule no policy wrote", () => {
    const c = compile(
      onApp1("  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '80', protocol: TCP}]}]\n"),
    );
    const host = verdict(c, APP1, "ingress", ReservedIdentity.HOST, 22);
    expect(host).toMatchObject({ enforced: true, verdict: "FORWARDED", l7: false, matchType: MatchType.L3_ONLY });
    expect(c.rules[host.ruleId]).toMatchObject({ policies: [], description: expect.stringContaining("allow-localhost") });
    expect(verdict(c, APP1, "ingress", ReservedIdentity.HOST, 53, IPPROTO_UDP).verdict).toBe("FORWARDED");
    expect(verdict(c, APP1, "ingress", ReservedIdentity.WORLD, 80).verdict).toBe("DROPPED");
    expect(verdict(c, APP1, "ingress", APP3, 80).verdict).toBe("DROPPED");
  });

  it("only for ingress-enforcing subjects: egress to the host stays default-deny", () => {
    const c = compile(onApp1("  egress:\n    - toEndpoints: [{matchLabels: {app: app2}}]\n"));
    expect(c.entries.some((e) => e.peer === ReservedIdentity.HOST)).toBe(false);
    expect(verdict(c, APP1, "egress", ReservedIdentity.HOST, 80).verdict).toBe("DROPPED");
    expect(verdict(c, APP2, "ingress", ReservedIdentity.HOST, 80).enforced).toBe(false);
  });

  it("an explicit deny covering the host still wins: named host, any peer, or one port", () => {
    const deny = (rule: string) =>
      compile(onApp1(`  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n  ingressDeny:\n${rule}`));
    const named = deny("    - fromEntities: [host]\n");
    expect(verdict(named, APP1, "ingress", ReservedIdentity.HOST, 80)).toMatchObject({ verdict: "DROPPED", dropReason: "POLICY_DENY" });
    expect(named.entries.filter((e) => e.peer === ReservedIdentity.HOST).map((e) => e.action)).toEqual(["deny"]);
    const all = deny("    - fromEntities: [all]\n");
    expect(verdict(all, APP1, "ingress", ReservedIdentity.HOST, 80)).toMatchObject({ verdict: "DROPPED", dropReason: "POLICY_DENY" });
    const port = deny("    - toPorts: [{ports: [{port: '22', protocol: TCP}]}]\n");
    expect(verdict(port, APP1, "ingress", ReservedIdentity.HOST, 22).verdict).toBe("DROPPED");
    expect(verdict(port, APP1, "ingress", ReservedIdentity.HOST, 80).verdict).toBe("FORWARDED");
  });

  it("does not widen an L7 port: host requests on a port every peer reaches through the proxy are still checked", () => {
    const c = compile(onApp1("  ingress:\n    - toPorts: [{ports: [{port: '80', protocol: TCP}], rules: {http: [{method: GET}]}}]\n"));
    expect(verdict(c, APP1, "ingress", ReservedIdentity.HOST, 80)).toMatchObject({ verdict: "FORWARDED", l7: true });
    const l7 = l7PortOf(c, APP1.identity, IPPROTO_TCP, 80);
    if (!l7) throw new Error("no L7 port");
    expect(matchHttp(l7, ReservedIdentity.HOST, "GET", "/x").allowed).toBe(true);
    expect(matchHttp(l7, ReservedIdentity.HOST, "POST", "/x").allowed).toBe(false);
  });
});

describe("compilePolicies: ports", () => {
  it("ANY means TCP and UDP; no toPorts means any protocol; a port-less protocol is proto-only", () => {
    const c = compile(
      onApp1(
        "  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '53'}]}]\n    - fromEndpoints: [{matchLabels: {app: app3}}]\n    - toPorts: [{ports: [{protocol: UDP}]}]\n",
      ),
    );
    expect(verdict(c, APP1, "ingress", APP2, 53)).toMatchObject({ verdict: "FORWARDED", matchType: MatchType.L3_L4 });
    expect(verdict(c, APP1, "ingress", APP2, 53, IPPROTO_UDP).verdict).toBe("FORWARDED");
    expect(verdict(c, APP1, "ingress", APP2, 54).verdict).toBe("DROPPED");
    expect(verdict(c, APP1, "ingress", APP3, 9, 1 /* ICMP */)).toMatchObject({ verdict: "FORWARDED", matchType: MatchType.L3_ONLY });
    expect(verdict(c, APP1, "ingress", OTHER2, 9999, IPPROTO_UDP)).toMatchObject({ verdict: "FORWARDED", matchType: MatchType.PROTO_ONLY });
    expect(verdict(c, APP1, "ingress", OTHER2, 9999).verdict).toBe("DROPPED");
  });

  it.each([
    [1, 65535],
    [8000, 8080],
    [1024, 65535],
    [0x7fff, 0x8000],
    [443, 444],
  ])("range %i-%i is split into prefixes and matches exactly its ports", (lo, hi) => {
    const c = compile(onApp1(`  ingress:\n    - toPorts: [{ports: [{port: '${lo}', endPort: ${hi}, protocol: TCP}]}]\n`));
    for (let port = 0; port <= 65535; port++) {
      const d = verdict(c, APP1, "ingress", APP2, port);
      if ((d.verdict === "FORWARDED") !== (port >= lo && port <= hi)) throw new Error(`port ${port}: ${d.verdict}`);
    }
    expect(c.entries.every((e) => (e.port & ~(0xffff << (16 - e.portPrefixLen)) & 0xffff) === 0)).toBe(true);
  });
});

describe("compilePolicies: audit", () => {
  it("an audit-mode policy's denies and default deny give AUDIT; an enforced policy beside it keeps its own default deny", () => {
    const audit = '  annotations: {flowlens.io/audit-mode: "true"}\n';
    const c = compile(
      onApp1(
        "  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n  ingressDeny:\n    - fromEndpoints: [{matchLabels: {app: app3}}]\n",
        "p",
        audit,
      ),
    );
    expect(c.subjects[0].auditIngress).toBe(true);
    expect(verdict(c, APP1, "ingress", APP3, 80)).toMatchObject({ verdict: "AUDIT", dropReason: "POLICY_DENY" });
    expect(verdict(c, APP1, "ingress", OTHER2, 80)).toMatchObject({ verdict: "AUDIT", dropReason: "POLICY_DENIED" });
    expect(verdict(c, APP1, "ingress", APP2, 80).verdict).toBe("FORWARDED");
    const mixed = compile(
      `${onApp1("  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n", "p", audit)}${onApp1("  ingress:\n    - fromEndpoints: [{matchLabels: {app: app3}}]\n", "q")}`,
    );
    expect(mixed.subjects[0].auditIngress).toBe(false);
    expect(verdict(mixed, APP1, "ingress", OTHER2, 80).verdict).toBe("DROPPED");
  });

  it("an audit deny over an enforced allow reports AUDIT; an enforced deny over an audit deny drops", () => {
    const audit = '  annotations: {flowlens.io/audit-mode: "true"}\n';
    const c = compile(
      `${onApp1("  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n")}${onApp1("  ingressDeny:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '80', protocol: TCP}]}]\n", "a", audit)}`,
    );
    expect(verdict(c, APP1, "ingress", APP2, 80).verdict).toBe("AUDIT");
    expect(verdict(c, APP1, "ingress", APP2, 81).verdict).toBe("FORWARDED");
    const d = compile(
      `${onApp1("  ingressDeny:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n")}${onApp1("  ingressDeny:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '80', protocol: TCP}]}]\n", "a", audit)}`,
    );
    expect(verdict(d, APP1, "ingress", APP2, 80).verdict).toBe("DROPPED");
  });

  it("global audit turns every drop into AUDIT", () => {
    const c = compile(
      onApp1(
        "  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n  ingressDeny:\n    - fromEndpoints: [{matchLabels: {app: app3}}]\n",
      ),
      { audit: true },
    );
    expect(c.subjects[0]).toMatchObject({ auditIngress: true });
    expect(c.entries.filter((e) => e.action === "deny").every((e) => e.audit)).toBe(true);
    expect(verdict(c, APP1, "ingress", APP3, 80).verdict).toBe("AUDIT");
    expect(verdict(c, APP1, "ingress", OTHER2, 80).verdict).toBe("AUDIT");
  });
});

describe("compilePolicies: L7", () => {
  const http = (peer: string, rules: string) =>
    `    - fromEndpoints: [{matchLabels: {app: ${peer}}}]\n      toPorts: [{ports: [{port: '80', protocol: TCP}], rules: {http: [${rules}]}}]\n`;

  it("redirects the port and matches method and path as full regular expressions", () => {
    const c = compile(
      onApp1(`  ingress:\n${http("app2", "{method: GET, path: '/public(/.*)?'}, {method: 'POST|PUT', path: '/api/v[0-9]+/items'}")}`),
    );
    expect(verdict(c, APP1, "ingress", APP2, 80)).toMatchObject({ verdict: "FORWARDED", l7: true });
    const l7 = l7PortOf(c, APP1.identity, IPPROTO_TCP, 80);
    if (!l7) throw new Error("no L7 port");
    const ok = (m: string, p: string, peer = APP2.identity) => matchHttp(l7, peer, m, p).allowed;
    expect(ok("GET", "/public")).toBe(true);
    expect(ok("GET", "/public/x")).toBe(true);
    expect(ok("GET", "/publicity")).toBe(false);
    expect(ok("GET", "/x/public")).toBe(false);
    expect(ok("get", "/public")).toBe(false);
    expect(ok("PUT", "/api/v2/items")).toBe(true);
    expect(ok("PUTS", "/api/v2/items")).toBe(false);
    expect(ok("GET", "/public", APP3.identity)).toBe(false);
    expect(matchHttp(l7, APP2.identity, "GET", "/public").ruleId).toBeGreaterThan(0);
    expect(matchHttp(l7, APP2.identity, "DELETE", "/public")).toEqual({ allowed: false, ruleId: 0 });
  });

  it("an L4 allow on the same port lets those peers do any request; an empty HTTP rule allows all", () => {
    const c = compile(
      onApp1(
        `  ingress:\n${http("app2", "{method: GET}")}${http("app3", "{}")}    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '80'}]}]\n    - fromEntities: [host]\n`,
      ),
    );
    const l7 = l7PortOf(c, APP1.identity, IPPROTO_TCP, 80);
    if (!l7) throw new Error("no L7 port");
    expect(c.entries.find((e) => e.peer === APP2.identity && e.proto === IPPROTO_TCP)).toMatchObject({ l7: true, action: "allow" });
    expect(matchHttp(l7, APP2.identity, "DELETE", "/x").allowed).toBe(true);
    expect(matchHttp(l7, APP3.identity, "DELETE", "/x").allowed).toBe(true);
    expect(matchHttp(l7, ReservedIdentity.HOST, "DELETE", "/x").allowed).toBe(true); // host's any-protocol allow covers port 80
    expect(verdict(c, APP1, "ingress", APP2, 80, IPPROTO_UDP)).toMatchObject({ verdict: "FORWARDED", l7: false });
    expect(verdict(c, APP1, "ingress", ReservedIdentity.HOST, 80)).toMatchObject({ verdict: "FORWARDED", l7: false });
  });

  it("an L4-only allow of any peer makes the proxy allow any peer; an L7 rule of any peer redirects every peer", () => {
    const c = compile(onApp1(`  ingress:\n${http("app2", "{method: GET}")}    - toPorts: [{ports: [{port: '80', protocol: TCP}]}]\n`));
    const l7 = l7PortOf(c, APP1.identity, IPPROTO_TCP, 80);
    expect(l7?.rules.some((r) => r.peers === "any" && r.http.length === 0)).toBe(true);
    expect(verdict(c, APP1, "ingress", APP3, 80)).toMatchObject({ verdict: "FORWARDED", l7: false });
    expect(verdict(c, APP1, "ingress", APP2, 80)).toMatchObject({ verdict: "FORWARDED", l7: true });
    const any = compile(onApp1("  ingress:\n    - toPorts: [{ports: [{port: '80'}], rules: {http: [{path: /ok}]}}]\n"));
    expect(verdict(any, APP1, "ingress", APP3, 80)).toMatchObject({ l7: true, matchType: MatchType.L4_ONLY });
    expect(written(any).map((e) => e.proto)).toEqual([IPPROTO_TCP]); // ANY with HTTP rules means TCP
  });
});

describe("compilePolicies: L7 audit", () => {
  it("a port whose HTTP rules all come from audit-mode policies forwards unmatched requests as AUDIT", () => {
    const rule = "  ingress:\n    - toPorts: [{ports: [{port: '80', protocol: TCP}], rules: {http: [{method: GET}]}}]\n";
    const audited = compile(onApp1(rule, "p", '  annotations: {flowlens.io/audit-mode: "true"}\n'));
    const l7 = l7PortOf(audited, APP1.identity, IPPROTO_TCP, 80);
    if (!l7) throw new Error("no L7 port");
    expect(l7.audit).toBe(true);
    expect(matchHttp(l7, APP2.identity, "POST", "/")).toEqual({ allowed: false, ruleId: 0, audit: true });
    expect(matchHttp(l7, APP2.identity, "GET", "/").allowed).toBe(true);
    const enforced = l7PortOf(compile(onApp1(rule)), APP1.identity, IPPROTO_TCP, 80);
    expect(enforced?.audit).toBeUndefined();
    expect(l7PortOf(compile(onApp1(rule), { audit: true }), APP1.identity, IPPROTO_TCP, 80)?.audit).toBe(true);
  });
});

describe("compilePolicies: output", () => {
  const many = [
    onApp1(
      "  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '80', protocol: TCP}], rules: {http: [{method: GET}]}}]\n",
      "b",
    ),
    onApp1("  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n  egressDeny:\n    - toCIDR: [10.0.0.0/8]\n", "a"),
    cnp("  endpointSelector: {}\n  egress:\n    - toEntities: [world]\n      toPorts: [{ports: [{port: '1000', endPort: 2000}]}]\n", "c"),
  ];

  it("is deterministic: compiling twice, or in another order, gives the same result", () => {
    const a = compile(many.join(""));
    const b = compile(many.join(""));
    const reversed = compile([...many].reverse().join(""));
    expect(b).toEqual(a);
    expect(reversed).toEqual(a);
    const shuffled = compilePolicies(parsePolicyDocuments([{ source: "x", text: many.join("") }]).policies, [...ENDPOINTS].reverse());
    expect(shuffled).toEqual(a);
  });

  it("has sorted unique keys, rules[i].ruleId === i, and every entry names a real rule with its policies", () => {
    const c = compile(many.join(""));
    const keys = c.entries.map((e) => `${e.subject}|${e.direction}|${e.peer}|${e.proto}|${e.portPrefixLen}|${e.port}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(c.rules.map((r) => r.ruleId)).toEqual(c.rules.map((_, i) => i));
    const order = (e: (typeof c.entries)[number]) => [
      e.subject,
      e.direction === "ingress" ? 0 : 1,
      e.peer,
      e.proto,
      e.portPrefixLen,
      e.port,
    ];
    for (let i = 1; i < c.entries.length; i++) {
      const [a, b] = [order(c.entries[i - 1]), order(c.entries[i])];
      const d = a.map((x, j) => x - b[j]).find((x) => x !== 0) ?? 0;
      expect(d).toBeLessThan(0);
    }
    expect(c.rules[0].policies).toEqual([]);
    for (const e of c.entries) {
      expect(e.ruleId).toBeGreaterThan(0);
      // only allow-localhost is no policy's rule
      if (c.rules[e.ruleId].policies.length === 0) expect(c.rules[e.ruleId].description).toContain("allow-localhost");
    }
    expect(c.rules.map((r) => r.description)).toContain("ingress allow from {app=app2} to TCP/80 with HTTP GET * (default/b ingress[0])");
  });

  it("compiles 1,000 policies of 10 rules over 50 endpoints", () => {
    const endpoints = Array.from({ length: 50 }, (_, i) => endpoint(i < 45 ? "default" : "other", { app: `a${i}`, tier: `t${i % 3}` }));
    const docs: string[] = [];
    for (let p = 0; p < 1000; p++) {
      const rules = Array.from(
        { length: 10 },
        (_, r) =>
          `    - fromEndpoints: [{matchLabels: {app: a${(p + r) % 50}}}]\n      toPorts: [{ports: [{port: '${1000 + ((p * 10 + r) % 5000)}', protocol: TCP}]}]\n`,
      ).join("");
      docs.push(cnp(`  endpointSelector: {matchLabels: {app: a${p % 50}}}\n  ingress:\n${rules}`, `p${p}`));
    }
    const { policies, errors } = parsePolicyDocuments([{ source: "big.yaml", text: docs.join("") }]);
    expect(errors).toEqual([]);
    // How long this takes is measured by bench/cpu-bounds.ts (~100 ms here).
    const c = compilePolicies(policies, endpoints);
    expect(c.entries.length).toBeGreaterThan(3000);
  });
});
