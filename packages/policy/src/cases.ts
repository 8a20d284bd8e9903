// A table of policy cases with their expected verdicts, shared by this package's tests (through
// trace) and the end-to-end datapath tests (real pods, real traffic): both must agree with it.

import { compilePolicies } from "./compile.js";
import type { CompiledPolicy } from "./compiled.js";
import { formatPolicyError } from "./errors.js";
import { addressIdentity, endpointIdentity, ReservedIdentity } from "./identity.js";
import { parsePolicyDocuments } from "./parse.js";
import { type TraceResult, tracePolicy } from "./trace.js";

export interface PolicyCaseEndpoint {
  /** `namespace/name`, how queries name it. */
  id: string;
  name: string;
  namespace: string;
  labels: Record<string, string>;
}

/** An endpoint id, "host" (the node itself), or an address outside the pods ("world", in 192.0.2.0/24). */
export type PolicyCasePeer = string | { ip: string };

export interface PolicyCase {
  name: string;
  /** One or more YAML documents. */
  policies: string;
  endpoints: PolicyCaseEndpoint[];
  /** Global audit mode. */
  audit?: boolean;
  query: { from: PolicyCasePeer; to: PolicyCasePeer; dport: number; proto: "TCP" | "UDP"; httpMethod?: string; httpPath?: string };
  /** Final verdict; an HTTP request denied by the proxy is DROPPED and answered 403. */
  expected: "FORWARDED" | "DROPPED" | "AUDIT";
}

const ep = (namespace: string, name: string, labels: Record<string, string>): PolicyCaseEndpoint => ({
  id: `${namespace}/${name}`,
  name,
  namespace,
  labels,
});

/** The pods every case uses; "world" addresses are 192.0.2.10 and 192.0.2.200. */
export const policyCaseEndpoints: PolicyCaseEndpoint[] = [
  ep("default", "app1", { app: "app1" }),
  ep("default", "app2", { app: "app2" }),
  ep("default", "app3", { app: "app3" }),
  ep("other", "app2", { app: "app2" }),
];
export const policyCaseWorldAddresses = ["192.0.2.10", "192.0.2.200"];

const cnp = (name: string, spec: string, meta = "") =>
  `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: ${name}\n${meta}spec:\n${spec}`;

const founding = cnp(
  "app1-policy",
  `  endpointSelector:
    matchLabels: {app: app1}
  ingress:
    - fromEndpoints:
        - matchLabels: {app: app2}
      toPorts:
        - ports: [{port: "80", protocol: TCP}]
          rules:
            http:
              - {method: GET, path: /public}
`,
);

const app1Ingress = (rules: string, extra = "") =>
  cnp("app1-in", `  endpointSelector:\n    matchLabels: {app: app1}\n${extra}  ingress:\n${rules}`);
const app1Egress = (rules: string) => cnp("app1-out", `  endpointSelector:\n    matchLabels: {app: app1}\n  egress:\n${rules}`);

type Q = PolicyCase["query"];
const tcp = (from: PolicyCasePeer, to: PolicyCasePeer, dport: number, http?: [string, string]): Q => ({
  from,
  to,
  dport,
  proto: "TCP",
  ...(http && { httpMethod: http[0], httpPath: http[1] }),
});

const c = (name: string, policies: string, query: Q, expected: PolicyCase["expected"], audit?: boolean): PolicyCase => ({
  name,
  policies,
  endpoints: policyCaseEndpoints,
  query,
  expected,
  ...(audit && { audit }),
});

export const policyCases: PolicyCase[] = [
  c("founding: app2 GET /public on app1", founding, tcp("default/app2", "default/app1", 80, ["GET", "/public"]), "FORWARDED"),
  c("founding: app2 GET /restricted is 403", founding, tcp("default/app2", "default/app1", 80, ["GET", "/restricted"]), "DROPPED"),
  c("founding: app2 POST /public is 403", founding, tcp("default/app2", "default/app1", 80, ["POST", "/public"]), "DROPPED"),
  c("founding: app3 cannot reach app1", founding, tcp("default/app3", "default/app1", 80, ["GET", "/public"]), "DROPPED"),
  c("founding: app2 on another port", founding, tcp("default/app2", "default/app1", 81), "DROPPED"),
  c("founding: app1 egress stays open", founding, tcp("default/app1", "default/app3", 80), "FORWARDED"),
  c("founding: unselected app3 is open", founding, tcp("default/app2", "default/app3", 80), "FORWARDED"),
  c(
    "egress default deny: allowed peer",
    cnp(
      "app2-out",
      "  endpointSelector:\n    matchLabels: {app: app2}\n  egress:\n    - toEndpoints: [{matchLabels: {app: app1}}]\n      toPorts: [{ports: [{port: '80', protocol: TCP}]}]\n",
    ),
    tcp("default/app2", "default/app1", 80),
    "FORWARDED",
  ),
  c(
    "egress default deny: other peer",
    cnp(
      "app2-out",
      "  endpointSelector:\n    matchLabels: {app: app2}\n  egress:\n    - toEndpoints: [{matchLabels: {app: app1}}]\n      toPorts: [{ports: [{port: '80', protocol: TCP}]}]\n",
    ),
    tcp("default/app2", "default/app3", 80),
    "DROPPED",
  ),
  c(
    "deny beats allow: denied port",
    app1Ingress(
      "    - fromEndpoints: [{matchLabels: {app: app2}}]\n",
      "  ingressDeny:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '8080', protocol: TCP}]}]\n",
    ),
    tcp("default/app2", "default/app1", 8080),
    "DROPPED",
  ),
  c(
    "deny beats allow: other port still allowed",
    app1Ingress(
      "    - fromEndpoints: [{matchLabels: {app: app2}}]\n",
      "  ingressDeny:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '8080', protocol: TCP}]}]\n",
    ),
    tcp("default/app2", "default/app1", 80),
    "FORWARDED",
  ),
  c(
    "deny beats allow: allowed port inside a denied range",
    app1Ingress(
      "    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '80', protocol: TCP}]}]\n",
      "  ingressDeny:\n    - toPorts: [{ports: [{port: '1', endPort: 1023, protocol: TCP}]}]\n",
    ),
    tcp("default/app2", "default/app1", 80),
    "DROPPED",
  ),
  ...[
    [7999, "DROPPED"],
    [8000, "FORWARDED"],
    [8080, "FORWARDED"],
    [8081, "DROPPED"],
  ].map(([port, v]) =>
    c(
      `port range 8000-8080: port ${port}`,
      app1Ingress(
        "    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '8000', endPort: 8080, protocol: TCP}]}]\n",
      ),
      tcp("default/app2", "default/app1", port as number),
      v as PolicyCase["expected"],
    ),
  ),
  c(
    "CIDR egress: inside the cidr",
    app1Egress(
      "    - toCIDRSet: [{cidr: 192.0.2.0/24, except: [192.0.2.128/25]}]\n      toPorts: [{ports: [{port: '80', protocol: TCP}]}]\n",
    ),
    tcp("default/app1", { ip: "192.0.2.10" }, 80),
    "FORWARDED",
  ),
  c(
    "CIDR egress: in the except",
    app1Egress(
      "    - toCIDRSet: [{cidr: 192.0.2.0/24, except: [192.0.2.128/25]}]\n      toPorts: [{ports: [{port: '80', protocol: TCP}]}]\n",
    ),
    tcp("default/app1", { ip: "192.0.2.200" }, 80),
    "DROPPED",
  ),
  c(
    "entity world: an outside address",
    app1Egress("    - toEntities: [world]\n"),
    tcp("default/app1", { ip: "192.0.2.200" }, 80),
    "FORWARDED",
  ),
  c("entity world: not a pod", app1Egress("    - toEntities: [world]\n"), tcp("default/app1", "default/app2", 80), "DROPPED"),
  c("entity host: from the node", app1Ingress("    - fromEntities: [host]\n"), tcp("host", "default/app1", 80), "FORWARDED"),
  c("entity host: not a pod", app1Ingress("    - fromEntities: [host]\n"), tcp("default/app2", "default/app1", 80), "DROPPED"),
  c(
    "allow-localhost: the node reaches a default-deny endpoint",
    app1Ingress("    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '80', protocol: TCP}]}]\n"),
    tcp("host", "default/app1", 8080),
    "FORWARDED",
  ),
  c(
    "allow-localhost: an explicit deny of the host wins",
    app1Ingress("    - fromEndpoints: [{matchLabels: {app: app2}}]\n", "  ingressDeny:\n    - fromEntities: [host]\n"),
    tcp("host", "default/app1", 80),
    "DROPPED",
  ),
  c("entity all", app1Ingress("    - fromEntities: [all]\n"), tcp("default/app3", "default/app1", 80), "FORWARDED"),
  c(
    "L4-only rule: any peer",
    app1Ingress("    - toPorts: [{ports: [{port: '80', protocol: TCP}]}]\n"),
    tcp("default/app3", "default/app1", 80),
    "FORWARDED",
  ),
  c(
    "UDP port: allowed",
    app1Ingress("    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '53', protocol: UDP}]}]\n"),
    { from: "default/app2", to: "default/app1", dport: 53, proto: "UDP" },
    "FORWARDED",
  ),
  c(
    "UDP port: TCP not allowed",
    app1Ingress("    - fromEndpoints: [{matchLabels: {app: app2}}]\n      toPorts: [{ports: [{port: '53', protocol: UDP}]}]\n"),
    tcp("default/app2", "default/app1", 53),
    "DROPPED",
  ),
  c(
    "namespace: same-namespace selector skips other namespaces",
    app1Ingress("    - fromEndpoints: [{matchLabels: {app: app2}}]\n"),
    tcp("other/app2", "default/app1", 80),
    "DROPPED",
  ),
  c(
    "namespace: a selector naming the namespace",
    app1Ingress("    - fromEndpoints: [{matchLabels: {app: app2, k8s:io.kubernetes.pod.namespace: other}}]\n"),
    tcp("other/app2", "default/app1", 80),
    "FORWARDED",
  ),
  c(
    "clusterwide: selectors span namespaces",
    "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata:\n  name: cw\nspec:\n  endpointSelector: {matchLabels: {app: app1}}\n  ingress:\n    - fromEndpoints: [{matchLabels: {app: app2}}]\n",
    tcp("other/app2", "default/app1", 80),
    "FORWARDED",
  ),
  c(
    "enableDefaultDeny false: others pass",
    app1Ingress("", "  enableDefaultDeny: {ingress: false}\n  ingressDeny:\n    - fromEndpoints: [{matchLabels: {app: app3}}]\n").replace(
      "  ingress:\n",
      "",
    ),
    tcp("default/app2", "default/app1", 80),
    "FORWARDED",
  ),
  c(
    "enableDefaultDeny false: deny still applies",
    app1Ingress("", "  enableDefaultDeny: {ingress: false}\n  ingressDeny:\n    - fromEndpoints: [{matchLabels: {app: app3}}]\n").replace(
      "  ingress:\n",
      "",
    ),
    tcp("default/app3", "default/app1", 80),
    "DROPPED",
  ),
  c(
    "audit policy: a would-be drop passes as AUDIT",
    founding.replace("spec:", '  annotations: {flowlens.io/audit-mode: "true"}\nspec:'),
    tcp("default/app3", "default/app1", 80),
    "AUDIT",
  ),
  c("global audit: a would-be drop passes as AUDIT", founding, tcp("default/app2", "default/app1", 81), "AUDIT", true),
  c(
    "global audit: a would-be HTTP 403 passes as AUDIT",
    founding,
    tcp("default/app2", "default/app1", 80, ["GET", "/restricted"]),
    "AUDIT",
    true,
  ),
  c(
    "global audit: an allowed request is FORWARDED",
    founding,
    tcp("default/app2", "default/app1", 80, ["GET", "/public"]),
    "FORWARDED",
    true,
  ),
];

/** Identity of a case peer: an endpoint's label identity, the host, or the address's CIDR identity (else world). */
export function policyCaseIdentity(compiled: CompiledPolicy, c: PolicyCase, peer: PolicyCasePeer): number {
  if (typeof peer !== "string") return addressIdentity(compiled.cidrIdentities, peer.ip);
  if (peer === "host") return ReservedIdentity.HOST;
  const e = c.endpoints.find((x) => x.id === peer);
  if (!e) throw new Error(`policy case "${c.name}": no endpoint ${peer}`);
  return endpointIdentity(e.namespace, e.labels);
}

/** Parses and compiles a case's policies over its endpoints and traces its query. */
export function tracePolicyCase(c: PolicyCase): { compiled: CompiledPolicy; result: TraceResult } {
  const { policies, errors } = parsePolicyDocuments([{ source: c.name, text: c.policies }]);
  if (errors.length) throw new Error(`policy case "${c.name}": ${errors.map(formatPolicyError).join("; ")}`);
  const endpoints = c.endpoints.map((e) => ({
    identity: endpointIdentity(e.namespace, e.labels),
    namespace: e.namespace,
    labels: e.labels,
  }));
  const compiled = compilePolicies(policies, endpoints, { audit: c.audit });
  const peerName = (p: PolicyCasePeer) => (typeof p === "string" ? p : p.ip);
  const result = tracePolicy(compiled, {
    from: { identity: policyCaseIdentity(compiled, c, c.query.from), name: peerName(c.query.from) },
    to: { identity: policyCaseIdentity(compiled, c, c.query.to), name: peerName(c.query.to) },
    dport: c.query.dport,
    proto: c.query.proto,
    httpMethod: c.query.httpMethod,
    httpPath: c.query.httpPath,
  });
  return { compiled, result };
}
