import { describe, expect, it } from "vitest";
import { formatPolicyError } from "./errors.js";
import { parsePolicyDocuments } from "./parse.js";

const founding = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: app1-policy
spec:
  endpointSelector:
    matchLabels:
      app: app1
  ingress:
    - fromEndpoints:
        - matchLabels:
            k8s:app: app2
      toPorts:
        - ports:
            - port: "80"
              protocol: TCP
          rules:
            http:
              - method: GET
                path: /public
`;

function parse(text: string, source = "p.yaml") {
  return parsePolicyDocuments([{ source, text }]);
}

function messages(text: string): string[] {
  return parse(text).errors.map(formatPolicyError);
}

describe("parsePolicyDocuments: accepted policies", () => {
  it("reads the founding example, namespace defaulting to default, k8s: prefix stripped", () => {
    const { policies, errors } = parse(founding);
    expect(errors).toEqual([]);
    expect(policies).toHaveLength(1);
    const p = policies[0];
    expect(p.ref).toEqual({ name: "app1-policy", namespace: "default", kind: "CiliumNetworkPolicy" });
    expect(p.audit).toBe(false);
    expect(p.text).toBe(founding);
    expect(p.rules).toEqual([
      {
        path: "spec",
        endpointSelector: { matchLabels: { app: "app1" }, matchExpressions: [] },
        ingress: [
          {
            endpoints: [{ matchLabels: { app: "app2" }, matchExpressions: [] }],
            toPorts: [{ ports: [{ port: 80, protocol: "TCP" }], http: [{ method: "GET", path: "/public" }] }],
          },
        ],
        ingressDeny: [],
        egress: [],
        egressDeny: [],
        enableDefaultDeny: {},
      },
    ]);
  });

  it("reads multi-document files, Lists, clusterwide policies, specs and audit mode", () => {
    const text = `apiVersion: v1
kind: List
items:
  - apiVersion: cilium.io/v2
    kind: CiliumNetworkPolicy
    metadata:
      name: a
      namespace: prod
      annotations:
        flowlens.io/audit-mode: "true"
    specs:
      - endpointSelector: {}
        egress:
          - toCIDRSet:
              - cidr: 10.0.0.0/8
                except: [10.1.0.0/16]
          - toEntities: [world, host]
            toPorts:
              - ports: [{port: 8000, endPort: 8080}]
      - endpointSelector:
          matchExpressions:
            - {key: any:tier, operator: In, values: [web, api]}
        ingressDeny:
          - fromCIDR: ["2001:DB8:0:0::/32", 192.168.1.7, "::ffff:10.2.0.0/112"]
        enableDefaultDeny: {ingress: false}
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata:
  name: everyone
  namespace: ignored
spec:
  endpointSelector: {}
  ingress:
    - fromEntities: [all]
---
`;
    const { policies, errors } = parse(text);
    expect(errors).toEqual([]);
    expect(policies.map((p) => [p.ref.kind, p.ref.namespace, p.ref.name, p.audit])).toEqual([
      ["CiliumNetworkPolicy", "prod", "a", true],
      ["CiliumClusterwideNetworkPolicy", "", "everyone", false],
    ]);
    const [a, b] = policies[0].rules;
    expect(a.path).toBe("specs[0]");
    expect(a.egress[0].cidrs).toEqual([{ cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] }]);
    expect(a.egress[1]).toEqual({ entities: ["world", "host"], toPorts: [{ ports: [{ port: 8000, endPort: 8080, protocol: "ANY" }] }] });
    expect(b.endpointSelector.matchExpressions).toEqual([{ key: "tier", operator: "In", values: ["web", "api"] }]);
    expect(b.ingressDeny[0].cidrs).toEqual([
      { cidr: "2001:db8::/32", except: [] },
      { cidr: "192.168.1.7/32", except: [] },
      { cidr: "10.2.0.0/16", except: [] }, // IPv4-mapped IPv6 is the IPv4 prefix (one key in fl_ipcache)
    ]);
    expect(b.enableDefaultDeny).toEqual({ ingress: false });
    // A List item's text is that object alone, de-indented.
    expect(policies[0].text.startsWith("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: a\n")).toBe(true);
    expect(policies[1].text).toContain("kind: CiliumClusterwideNetworkPolicy");
  });

  it("accepts kubectl output (status, server metadata) and empty documents", () => {
    const text = `---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: p
  uid: 1234
  resourceVersion: "9"
spec:
  endpointSelector: {matchLabels: {app: x}}
status: {}
---
`;
    expect(parse(text).errors).toEqual([]);
    expect(parse("").policies).toEqual([]);
  });
});

describe("parsePolicyDocuments: rejected policies list every error with path and line", () => {
  it("issue 4's bad policy: unknown field, bad selector, bad CIDR, bad regex, port 70000", () => {
    const text = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: bad
spec:
  endpointSelector:
    matchExpressions:
      - key: app
        operator: Equals
        values: [x]
  egress:
    - toFQDNs:
        - matchName: example.com
    - toCIDR: [10.0.0.300/8]
  ingress:
    - toPorts:
        - ports:
            - port: 70000
              protocol: TCP
          rules:
            http:
              - path: "/a(b"
`;
    expect(messages(text)).toEqual([
      'p.yaml:9: spec.endpointSelector.matchExpressions[0].operator: operator "Equals" is not one of In, NotIn, Exists, DoesNotExist',
      'p.yaml:12: spec.egress[0].toFQDNs: field "toFQDNs" is not supported: DNS-based rules are not in flowlens\'s policy subset (docs/policy.md, "Policy subset")',
      'p.yaml:14: spec.egress[1].toCIDR[0]: "10.0.0.300/8" is not an IPv4 or IPv6 prefix (like 10.0.0.0/8 or 2001:db8::/32)',
      "p.yaml:18: spec.ingress[0].toPorts[0].ports[0].port: port 70000 is out of range 1-65535",
      'p.yaml:22: spec.ingress[0].toPorts[0].rules.http[0].path: "/a(b" is not a valid RE2 regular expression: missing closing ): `/a(b`',
    ]);
    expect(parse(text).policies).toEqual([]);
  });

  const policy = (spec: string, meta = "  name: p\n") =>
    `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n${meta}spec:\n  endpointSelector: {}\n${spec}`;

  it.each([
    ["unknown field", "  ingress:\n    - fromEndpoint: [{}]\n", "p.yaml:8: spec.ingress[0].fromEndpoint: unknown field"],
    ["unknown rule field", "  foo: 1\n", 'p.yaml:7: spec.foo: unknown field "foo" (allowed here: endpointSelector'],
    ["toServices", "  egress:\n    - toServices: []\n", 'spec.egress[0].toServices: field "toServices" is not supported'],
    [
      "kafka",
      "  ingress:\n    - toPorts:\n        - ports: [{port: 9092}]\n          rules: {kafka: []}\n",
      'spec.ingress[0].toPorts[0].rules.kafka: field "kafka" is not supported',
    ],
    ["icmps", "  ingress:\n    - icmps: []\n", 'spec.ingress[0].icmps: field "icmps" is not supported'],
    [
      "egress http",
      "  egress:\n    - toPorts:\n        - ports: [{port: 80, protocol: TCP}]\n          rules: {http: [{method: GET}]}\n",
      "p.yaml:10: spec.egress[0].toPorts[0].rules.http: L7 rules on egress are not supported yet",
    ],
    [
      "deny with L7",
      "  ingressDeny:\n    - toPorts:\n        - ports: [{port: 80}]\n          rules: {http: []}\n",
      "spec.ingressDeny[0].toPorts[0].rules: L7 rules are not allowed in ingressDeny",
    ],
    [
      "In without values",
      "  ingress:\n    - fromEndpoints:\n        - matchExpressions: [{key: a, operator: In}]\n",
      "spec.ingress[0].fromEndpoints[0].matchExpressions[0].values: operator In needs at least one value",
    ],
    [
      "Exists with values",
      "  ingress:\n    - fromEndpoints:\n        - matchExpressions: [{key: a, operator: Exists, values: [x]}]\n",
      "matchExpressions[0].values: operator Exists takes no values",
    ],
    [
      "bad label key",
      "  ingress:\n    - fromEndpoints: [{matchLabels: {'a b': x}}]\n",
      'fromEndpoints[0].matchLabels.a b: "a b" is not a valid label key',
    ],
    [
      "reserved label source",
      "  ingress:\n    - fromEndpoints: [{matchLabels: {'reserved:host': ''}}]\n",
      'label source "reserved:" is not supported',
    ],
    [
      "numeric label value",
      "  ingress:\n    - fromEndpoints: [{matchLabels: {v: 1}}]\n",
      "matchLabels.v: must be a string, got number 1 (quote it)",
    ],
    ["host bits", "  egress:\n    - toCIDR: [10.0.0.1/8]\n", '"10.0.0.1/8" has host bits set past /8: write 10.0.0.0/8'],
    ["bad v6", "  egress:\n    - toCIDR: ['2001:db8::g/32']\n", "is not an IPv4 or IPv6 prefix"],
    ["v6 prefix too long", "  egress:\n    - toCIDR: ['2001:db8::/129']\n", "has a bad prefix length (0-128 for IPv6)"],
    [
      "except outside",
      "  egress:\n    - toCIDRSet: [{cidr: 10.0.0.0/16, except: [10.1.0.0/24]}]\n",
      "spec.egress[0].toCIDRSet[0].except[0]: except 10.1.0.0/24 is not inside cidr 10.0.0.0/16",
    ],
    [
      "except other family",
      "  egress:\n    - toCIDRSet: [{cidr: 10.0.0.0/16, except: ['::/0']}]\n",
      "except ::/0 is not inside cidr 10.0.0.0/16",
    ],
    ["port 0", "  ingress:\n    - toPorts: [{ports: [{port: 0}]}]\n", "ports[0].port: port 0 is not allowed"],
    ["named port", "  ingress:\n    - toPorts: [{ports: [{port: http}]}]\n", 'named port "http" is not supported'],
    [
      "endPort below port",
      "  ingress:\n    - toPorts: [{ports: [{port: 80, endPort: 79}]}]\n",
      "ports[0].endPort: endPort 79 is below port 80",
    ],
    ["endPort without port", "  ingress:\n    - toPorts: [{ports: [{endPort: 79}]}]\n", "endPort needs port"],
    [
      "bad protocol",
      "  ingress:\n    - toPorts: [{ports: [{port: 80, protocol: SCTP}]}]\n",
      'ports[0].protocol: protocol "SCTP" is not supported (TCP, UDP, ANY)',
    ],
    [
      "http on UDP",
      "  ingress:\n    - toPorts: [{ports: [{port: 80, protocol: UDP}], rules: {http: [{}]}}]\n",
      "rules.http needs protocol TCP",
    ],
    [
      "http on a range",
      "  ingress:\n    - toPorts: [{ports: [{port: 80, endPort: 90}], rules: {http: [{}]}}]\n",
      "rules.http cannot be combined with endPort",
    ],
    [
      "lookahead",
      "  ingress:\n    - toPorts: [{ports: [{port: 80}], rules: {http: [{path: '/(?!admin).*'}]}}]\n",
      '"/(?!admin).*" is not a valid RE2 regular expression: invalid or unsupported Perl syntax: `(?!`',
    ],
    [
      "backreference",
      "  ingress:\n    - toPorts: [{ports: [{port: 80}], rules: {http: [{path: '/(a)\\1'}]}}]\n",
      "is not a valid RE2 regular expression: invalid escape sequence: `\\1`",
    ],
    [
      "regex too large",
      "  ingress:\n    - toPorts: [{ports: [{port: 80}], rules: {http: [{path: '/(a|b|c|d){0,1000}'}]}}]\n",
      "is too large: its compiled program has",
    ],
    [
      "http host",
      "  ingress:\n    - toPorts: [{ports: [{port: 80}], rules: {http: [{host: a}]}}]\n",
      'rules.http[0].host: field "host" is not supported',
    ],
    ["bad entity", "  ingress:\n    - fromEntities: [cluster]\n", 'fromEntities[0]: entity "cluster" is not supported (world, host, all)'],
    [
      "empty peer list",
      "  ingress:\n    - fromEndpoints: []\n      toPorts: [{ports: [{port: 80}]}]\n",
      "spec.ingress[0].fromEndpoints: is an empty list",
    ],
    [
      "enableDefaultDeny not bool",
      "  enableDefaultDeny: {ingress: 'no'}\n",
      'spec.enableDefaultDeny.ingress: must be true or false, got "no"',
    ],
    [
      "audit annotation",
      "",
      'metadata.annotations.flowlens.io/audit-mode: must be "true" or "false", got "yes"',
      '  name: p\n  annotations: {flowlens.io/audit-mode: "yes"}\n',
    ],
    ["bad name", "", 'metadata.name: "P_1" is not a valid name', "  name: P_1\n"],
    ["other namespace in endpointSelector", "", "cannot select endpoints of namespace", "  name: p\n  namespace: a\n"],
  ])("%s", (_name, spec, expected, meta?: string) => {
    let text = policy(spec, meta);
    if (_name === "other namespace in endpointSelector")
      text = text.replace("endpointSelector: {}", "endpointSelector: {matchLabels: {io.kubernetes.pod.namespace: b}}");
    const errs = messages(text);
    expect(errs.join("\n")).toContain(expected);
  });

  it("rejects wrong kinds, apiVersions, missing fields and YAML syntax, across documents", () => {
    const a = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: x}
---
apiVersion: cilium.io/v1
kind: CiliumNetworkPolicy
metadata: {name: y}
---
kind: CiliumNetworkPolicy
metadata: {}
`;
    const b = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: z\n";
    const errs = parsePolicyDocuments([
      { source: "a.yaml", text: a },
      { source: "b.yaml", text: b },
    ]).errors.map(formatPolicyError);
    expect(errs).toEqual([
      'a.yaml:2: kind: kind "NetworkPolicy" is not supported (Kubernetes NetworkPolicy is not supported: write a CiliumNetworkPolicy); use CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy',
      'a.yaml:5: apiVersion: apiVersion "cilium.io/v1" is not supported (cilium.io/v2)',
      "a.yaml:5: spec: is required (or specs, a list of rules)",
      "a.yaml:9: apiVersion: is required (cilium.io/v2)",
      "a.yaml:9: spec: is required (or specs, a list of rules)",
      "a.yaml:10: metadata.name: is required",
      expect.stringMatching(/^b\.yaml:4: YAML: Flow map[^:]*[^:\s]$/), // one line, no "at line 4, column 1:"
    ]);
  });

  it("rejects the same policy twice in one apply, naming where it was first", () => {
    const p = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: same\nspec:\n  endpointSelector: {}\n";
    const errs = parsePolicyDocuments([
      { source: "a.yaml", text: p },
      { source: "b.yaml", text: `${p}---\n${p.replace("name: same", "name: same\n  namespace: other")}` },
    ]).errors.map(formatPolicyError);
    expect(errs).toEqual(["b.yaml:4: metadata.name: duplicate policy CiliumNetworkPolicy default/same (first defined at a.yaml:4)"]);
  });
});
