// The compiler's output: what the collector writes into the kernel maps (bpf/include/flowlens/abi.h,
// "Policy enforcement") and what `flowlens policy trace` evaluates with the kernel's lookup rules.
// This file is the contract between @flowlens/policy, the collector's map writer and the L7 proxy.

export type Direction = "ingress" | "egress";

/** Who a rule names: a policy object, as Hubble's flow.Policy shows it. */
export interface PolicyRef {
  name: string;
  /** "" for CiliumClusterwideNetworkPolicy. */
  namespace: string;
  kind: "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy";
}

/**
 * One fl_policy entry. Key: (subject, peer, direction, proto, port prefix) — see fl_policy_key.
 * proto 0 = any protocol (port fields ignored); portPrefixLen 0 = any port of `proto`;
 * portPrefixLen 16 = exactly `port`; in between: the ports sharing the first portPrefixLen bits.
 */
export interface PolicyEntry {
  subject: number;
  direction: Direction;
  /** 0 = any peer. */
  peer: number;
  proto: number;
  port: number;
  portPrefixLen: number;
  action: "allow" | "deny";
  /** Entry from an audit-mode policy (FL_POLF_AUDIT). */
  audit: boolean;
  /** Allowed and redirected to the L7 proxy (FL_POLF_L7; ingress only). */
  l7: boolean;
  /** Index into CompiledPolicy.rules. Never 0 (0 means "no entry" in verdict records). */
  ruleId: number;
}

/** Per subject identity: which directions are default-deny (fl_endpoint_info.enforce/audit). */
export interface SubjectState {
  identity: number;
  enforceIngress: boolean;
  enforceEgress: boolean;
  /** Default deny of that direction only audits (every selecting policy is in audit mode, or global audit). */
  auditIngress: boolean;
  auditEgress: boolean;
}

/** A CIDR prefix with its own identity in fl_ipcache (endpoint /32 and /128 entries are added by the collector). */
export interface CidrIdentity {
  cidr: string;
  identity: number;
}

/** What an entry's ruleId stands for: the policies whose rules produced it, for flows and trace. */
export interface RuleInfo {
  ruleId: number;
  policies: PolicyRef[];
  /** One line, e.g. `ingress allow from {app=app2} to TCP/80 (default/app1-policy ingress[0])`. */
  description: string;
}

export interface HttpRule {
  /** Anchored regular expressions (Cilium/Envoy full-match semantics); undefined = any. */
  method?: string;
  path?: string;
}

/** L7 rules of one (subject identity, port, proto) the kernel redirects to the proxy. */
export interface L7Port {
  subject: number;
  port: number;
  proto: number;
  /** A request is allowed when any rule's peers include the client's identity and any of its
   *  http rules matches (an empty http list allows every request of those peers). */
  rules: { peers: number[] | "any"; http: HttpRule[]; ruleId: number }[];
  /** Added for audit mode: every policy with HTTP rules on this port is in audit mode (or audit is
   *  global), so a request no rule allows is forwarded anyway and reported with verdict AUDIT. */
  audit?: boolean;
}

export interface CompiledPolicy {
  /** Sorted and deduplicated: the same inputs always give the same list (diffable against the pinned maps). */
  entries: PolicyEntry[];
  subjects: SubjectState[];
  cidrIdentities: CidrIdentity[];
  /** rules[i].ruleId === i; rules[0] is the "default deny / no rule" placeholder. */
  rules: RuleInfo[];
  l7: L7Port[];
}
