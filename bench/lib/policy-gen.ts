// Generates the policy load of the policy benches: N CiliumNetworkPolicies of R rules each (1,000 × 10
// by default). A quarter select the measured server (ingress from CIDRs on other ports), a quarter the
// measured client (egress to CIDRs on other ports), half select label sets of no local endpoint, so
// the measured pair's tc lookups search big tries (fl_policy, fl_ipcache) without any rule of the
// load matching them. allowPair() is the one policy that lets the measured traffic through.

export interface PairLabels {
  client: Record<string, string>;
  server: Record<string, string>;
}

const labelsYaml = (labels: Record<string, string>, indent: string) =>
  Object.entries(labels)
    .map(([k, v]) => `${indent}${k}: ${JSON.stringify(v)}`)
    .join("\n");

/** The n-th /24 of 100.64.0.0/10 (carrier-grade NAT space: no pod or host address here); n < 16384. */
const cidr = (n: number) => `100.${64 + (n >> 8)}.${n & 255}.0/24`;

/** Policy i of the load: subject and rules chosen by i % 4; ports never the measured ones (< 10000). */
function loadPolicy(i: number, rulesPer: number, pair: PairLabels, namespace: string): string {
  const kind = i % 4;
  const name = `bench-load-${String(i).padStart(4, "0")}`;
  const subject = kind === 0 ? pair.server : kind === 1 ? pair.client : { app: `b4-idle-${i % 50}`, team: `t${i % 7}` };
  const dir = kind === 1 ? "egress" : "ingress";
  const peerKey = dir === "ingress" ? "fromCIDR" : "toCIDR";
  const rules: string[] = [];
  for (let r = 0; r < rulesPer; r++) {
    const port = 10000 + ((i * rulesPer + r) % 50000);
    const peer =
      kind < 2
        ? `    - ${peerKey}:\n        - ${cidr(i * rulesPer + r)}`
        : `    - ${dir === "ingress" ? "fromEndpoints" : "toEndpoints"}:\n        - matchLabels:\n            app: b4-peer-${r}\n            team: t${i % 11}`;
    rules.push(`${peer}\n      toPorts:\n        - ports:\n            - port: "${port}"\n              protocol: TCP`);
  }
  return `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  endpointSelector:
    matchLabels:
${labelsYaml(subject, "      ")}
  ${dir}:
${rules.join("\n")}
`;
}

/** The load: `count` policies of `rulesPer` rules each, as one YAML stream. */
export function policyLoad(count: number, rulesPer: number, pair: PairLabels, namespace: string): string {
  const docs: string[] = [];
  for (let i = 0; i < count; i++) docs.push(loadPolicy(i, rulesPer, pair, namespace));
  return docs.join("---\n");
}

/** Server ingress from the client and client egress to the server, on the given TCP ports. */
export function allowPair(pair: PairLabels, ports: number[], namespace: string, name = "bench-allow-pair"): string {
  const portList = ports.map((p) => `            - port: "${p}"\n              protocol: TCP`).join("\n");
  const rule = (peerKey: string, peer: Record<string, string>) =>
    `    - ${peerKey}:\n        - matchLabels:\n${labelsYaml(peer, "            ")}\n      toPorts:\n        - ports:\n${portList}`;
  return `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: ${name}-ingress
  namespace: ${namespace}
spec:
  endpointSelector:
    matchLabels:
${labelsYaml(pair.server, "      ")}
  ingress:
${rule("fromEndpoints", pair.client)}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: ${name}-egress
  namespace: ${namespace}
spec:
  endpointSelector:
    matchLabels:
${labelsYaml(pair.client, "      ")}
  egress:
${rule("toEndpoints", pair.server)}
`;
}
