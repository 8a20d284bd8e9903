// The validated, normalized policy model the parser produces and the compiler consumes.

import type { PolicyRef } from "./compiled.js";

export type SelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

/** A label selector; keys have their Cilium source prefix (`k8s:`, `any:`) removed. */
export interface Selector {
  matchLabels: Record<string, string>;
  matchExpressions: { key: string; operator: SelectorOperator; values: string[] }[];
}

export type Entity = "world" | "host" | "all";

export interface CidrRule {
  /** Normalized prefix, e.g. `10.0.0.0/8`, `2001:db8::/32`. */
  cidr: string;
  /** Normalized prefixes inside `cidr` that the rule does not select. */
  except: string[];
}

export type PortProtocol = "TCP" | "UDP" | "ANY";

export interface PortSpec {
  /** Undefined = every port of the protocol. */
  port?: number;
  /** Last port of a range starting at `port`. */
  endPort?: number;
  protocol: PortProtocol;
}

export interface HttpRuleSpec {
  method?: string;
  path?: string;
}

export interface PortRule {
  ports: PortSpec[];
  /** Present (possibly empty list = no L7) only on allow ingress rules. */
  http?: HttpRuleSpec[];
}

/** One element of ingress/ingressDeny/egress/egressDeny with the from- and to- peer fields folded into `peers`. */
export interface PeerRule {
  /** fromEndpoints / toEndpoints. */
  endpoints?: Selector[];
  /** fromCIDR and fromCIDRSet (toCIDR, toCIDRSet) together. */
  cidrs?: CidrRule[];
  entities?: Entity[];
  /** Undefined = any protocol and port. */
  toPorts?: PortRule[];
}

/** One Cilium rule: `spec` or an element of `specs`. */
export interface PolicyRule {
  /** "spec" or "specs[i]": how descriptions and errors name it. */
  path: string;
  endpointSelector: Selector;
  ingress: PeerRule[];
  ingressDeny: PeerRule[];
  egress: PeerRule[];
  egressDeny: PeerRule[];
  enableDefaultDeny: { ingress?: boolean; egress?: boolean };
  description?: string;
}

export interface Policy {
  ref: PolicyRef;
  /** Annotation `flowlens.io/audit-mode: "true"`: its denies and default deny only audit. */
  audit: boolean;
  rules: PolicyRule[];
  /** The YAML of this one object as given (for `policy get`). */
  text: string;
  source: string;
  line?: number;
}

/** An endpoint the compiler resolves selectors against; several may share an identity. */
export interface PolicyEndpoint {
  identity: number;
  namespace: string;
  labels: Record<string, string>;
}
