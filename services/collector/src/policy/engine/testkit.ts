// Policy documents for tests: the founding example's L3/L4 rule (app2 may reach app1 on TCP 80).

/** A CiliumNetworkPolicy letting app2 reach `app` (default app1) on TCP `port` (default 80). */
export function cnp(name: string, opts: { namespace?: string; app?: string; port?: string | number; audit?: boolean } = {}): string {
  const ns = opts.namespace ? `\n  namespace: ${opts.namespace}` : "";
  const ann = opts.audit ? `\n  annotations:\n    flowlens.io/audit-mode: "true"` : "";
  return `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: ${name}${ns}${ann}
spec:
  endpointSelector:
    matchLabels:
      app: ${opts.app ?? "app1"}
  ingress:
    - fromEndpoints:
        - matchLabels:
            app: app2
      toPorts:
        - ports:
            - port: "${opts.port ?? 80}"
              protocol: TCP
`;
}
