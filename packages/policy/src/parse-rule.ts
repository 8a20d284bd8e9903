// Validation of one Cilium rule (`spec` or an element of `specs`) into the normalized model. The
// accepted subset is listed in docs/policy.md, "Policy subset"; everything else is an error that
// names the field.

import { formatPrefix, type Prefix, parsePrefix, prefixContains } from "./cidr.js";
import { compileHttpPattern } from "./l7.js";
import type { CidrRule, Entity, HttpRuleSpec, PeerRule, PolicyRule, PortProtocol, PortRule, PortSpec, Selector } from "./model.js";
import { NAMESPACE_LABEL, parseSelector } from "./selector.js";
import { join, type Walk } from "./yaml-walk.js";

export interface RuleScope {
  /** Policy namespace; undefined for a clusterwide policy. */
  namespace?: string;
}

type Section = "ingress" | "ingressDeny" | "egress" | "egressDeny";

const SEE = 'not in flowlens\'s policy subset (docs/policy.md, "Policy subset")';
const RULE_UNSUPPORTED: Record<string, string> = {
  nodeSelector: `host policies are ${SEE}; select endpoints with endpointSelector`,
  labels: `rule labels are ${SEE}`,
};
const PEER_UNSUPPORTED: Record<string, string> = {
  toFQDNs: `DNS-based rules are ${SEE}`,
  toServices: `service rules are ${SEE}`,
  toGroups: `cloud group rules are ${SEE}`,
  fromGroups: `cloud group rules are ${SEE}`,
  toRequires: `requirements are ${SEE}`,
  fromRequires: `requirements are ${SEE}`,
  toNodes: `node selectors are ${SEE}`,
  fromNodes: `node selectors are ${SEE}`,
  icmps: `ICMP rules are ${SEE}`,
  authentication: `mutual authentication is ${SEE}`,
};
const PORT_RULE_UNSUPPORTED: Record<string, string> = {
  terminatingTLS: `TLS interception is ${SEE}`,
  originatingTLS: `TLS interception is ${SEE}`,
  serverNames: `SNI rules are ${SEE}`,
  listener: `Envoy listeners are ${SEE}`,
};
const L7_UNSUPPORTED: Record<string, string> = {
  kafka: `Kafka rules are ${SEE}; only http`,
  dns: `DNS rules are ${SEE}; only http`,
  l7proto: `generic L7 rules are ${SEE}; only http`,
  l7: `generic L7 rules are ${SEE}; only http`,
};
const HTTP_UNSUPPORTED: Record<string, string> = {
  host: `HTTP host matching is ${SEE}; only method and path`,
  headers: `HTTP header matching is ${SEE}; only method and path`,
  headerMatches: `HTTP header matching is ${SEE}; only method and path`,
};
const CIDRSET_UNSUPPORTED: Record<string, string> = {
  cidrGroupRef: `CiliumCIDRGroup references are ${SEE}; write the cidr`,
  cidrGroupSelector: `CiliumCIDRGroup selectors are ${SEE}; write the cidr`,
};
const ENTITIES: readonly Entity[] = ["world", "host", "all"];
const PROTOCOLS: readonly PortProtocol[] = ["TCP", "UDP", "ANY"];

export function parseRule(w: Walk, node: unknown, path: string, scope: RuleScope): PolicyRule | undefined {
  const m = w.map(node, path);
  if (!m) return undefined;
  const before = w.errors.length;
  const f = w.fields(
    m,
    path,
    ["endpointSelector", "ingress", "ingressDeny", "egress", "egressDeny", "enableDefaultDeny", "description"],
    RULE_UNSUPPORTED,
  );
  const rule: PolicyRule = {
    path,
    endpointSelector: { matchLabels: {}, matchExpressions: [] },
    ingress: [],
    ingressDeny: [],
    egress: [],
    egressDeny: [],
    enableDefaultDeny: {},
  };
  const es = f.get("endpointSelector");
  if (!es) w.error(node, join(path, "endpointSelector"), "is required (use {} to select every endpoint)");
  else {
    const sel = parseSelector(w, es.value, es.path);
    if (sel) {
      checkSubjectNamespace(w, es.value, es.path, sel, scope);
      rule.endpointSelector = sel;
    }
  }
  for (const section of ["ingress", "ingressDeny", "egress", "egressDeny"] as const) {
    const s = f.get(section);
    if (!s) continue;
    const list = w.seq(s.value, s.path);
    list?.items.forEach((item, i) => {
      const r = parsePeerRule(w, item, `${s.path}[${i}]`, section);
      if (r) rule[section].push(r);
    });
  }
  const dd = f.get("enableDefaultDeny");
  if (dd) {
    const dm = w.map(dd.value, dd.path);
    if (dm) {
      const df = w.fields(dm, dd.path, ["ingress", "egress"]);
      for (const dir of ["ingress", "egress"] as const) {
        const v = df.get(dir);
        if (v) rule.enableDefaultDeny[dir] = w.bool(v.value, v.path);
      }
    }
  }
  const desc = f.get("description");
  if (desc) rule.description = w.string(desc.value, desc.path);
  return w.errors.length === before ? rule : undefined;
}

/** A CiliumNetworkPolicy only ever selects endpoints of its own namespace (Cilium overrides any other). */
function checkSubjectNamespace(w: Walk, node: unknown, path: string, sel: Selector, scope: RuleScope): void {
  const named = sel.matchLabels[NAMESPACE_LABEL];
  if (scope.namespace !== undefined && named !== undefined && named !== scope.namespace) {
    w.error(
      node,
      join(path, "matchLabels"),
      `a CiliumNetworkPolicy in namespace "${scope.namespace}" cannot select endpoints of namespace "${named}": use a CiliumClusterwideNetworkPolicy`,
    );
  }
}

function parsePeerRule(w: Walk, node: unknown, path: string, section: Section): PeerRule | undefined {
  const m = w.map(node, path);
  if (!m) return undefined;
  const before = w.errors.length;
  const dir = section.startsWith("ingress") ? "from" : "to";
  const deny = section.endsWith("Deny");
  const f = w.fields(m, path, [`${dir}Endpoints`, `${dir}CIDR`, `${dir}CIDRSet`, `${dir}Entities`, "toPorts"], PEER_UNSUPPORTED);
  const rule: PeerRule = {};
  const eps = f.get(`${dir}Endpoints`);
  if (eps) {
    const list = w.nonEmptySeq(eps.value, eps.path);
    rule.endpoints = [];
    list?.items.forEach((item, i) => {
      const sel = parseSelector(w, item, `${eps.path}[${i}]`);
      if (sel) rule.endpoints?.push(sel);
    });
  }
  const cidr = f.get(`${dir}CIDR`);
  if (cidr) {
    const list = w.nonEmptySeq(cidr.value, cidr.path);
    rule.cidrs = [];
    list?.items.forEach((item, i) => {
      const p = prefix(w, item, `${cidr.path}[${i}]`);
      if (p) rule.cidrs?.push({ cidr: formatPrefix(p), except: [] });
    });
  }
  const set = f.get(`${dir}CIDRSet`);
  if (set) {
    const list = w.nonEmptySeq(set.value, set.path);
    rule.cidrs ??= [];
    list?.items.forEach((item, i) => {
      const c = cidrSet(w, item, `${set.path}[${i}]`);
      if (c) rule.cidrs?.push(c);
    });
  }
  const ents = f.get(`${dir}Entities`);
  if (ents) {
    const list = w.nonEmptySeq(ents.value, ents.path);
    rule.entities = [];
    list?.items.forEach((item, i) => {
      const at = `${ents.path}[${i}]`;
      const e = w.string(item, at);
      if (e === undefined) return;
      if ((ENTITIES as readonly string[]).includes(e)) rule.entities?.push(e as Entity);
      else w.error(item, at, `entity "${e}" is not supported (${ENTITIES.join(", ")})`);
    });
  }
  const ports = f.get("toPorts");
  if (ports) {
    const list = w.nonEmptySeq(ports.value, ports.path);
    rule.toPorts = [];
    list?.items.forEach((item, i) => {
      const pr = portRule(w, item, `${ports.path}[${i}]`, section, deny);
      if (pr) rule.toPorts?.push(pr);
    });
  }
  return w.errors.length === before ? rule : undefined;
}

function prefix(w: Walk, node: unknown, path: string): Prefix | undefined {
  const s = w.string(node, path);
  if (s === undefined) return undefined;
  const p = parsePrefix(s);
  if (typeof p === "string") {
    w.error(node, path, p);
    return undefined;
  }
  return p;
}

function cidrSet(w: Walk, node: unknown, path: string): CidrRule | undefined {
  const m = w.map(node, path);
  if (!m) return undefined;
  const f = w.fields(m, path, ["cidr", "except"], CIDRSET_UNSUPPORTED);
  const c = f.get("cidr");
  if (!c) {
    w.error(node, join(path, "cidr"), "is required");
    return undefined;
  }
  const outer = prefix(w, c.value, c.path);
  const except: string[] = [];
  const ex = f.get("except");
  if (ex) {
    const list = w.seq(ex.value, ex.path);
    list?.items.forEach((item, i) => {
      const at = `${ex.path}[${i}]`;
      const p = prefix(w, item, at);
      if (!p || !outer) return;
      if (!prefixContains(outer, p) || p.len === outer.len) {
        w.error(item, at, `except ${formatPrefix(p)} is not inside cidr ${formatPrefix(outer)}`);
        return;
      }
      except.push(formatPrefix(p));
    });
  }
  return outer ? { cidr: formatPrefix(outer), except } : undefined;
}

function portRule(w: Walk, node: unknown, path: string, section: Section, deny: boolean): PortRule | undefined {
  const m = w.map(node, path);
  if (!m) return undefined;
  const f = w.fields(m, path, ["ports", "rules"], PORT_RULE_UNSUPPORTED);
  const pr: PortRule = { ports: [] };
  const ports = f.get("ports");
  if (!ports) w.error(node, join(path, "ports"), "is required (list the ports this rule is about)");
  else {
    const list = w.nonEmptySeq(ports.value, ports.path);
    list?.items.forEach((item, i) => {
      const p = portSpec(w, item, `${ports.path}[${i}]`);
      if (p) pr.ports.push(p);
    });
  }
  const rules = f.get("rules");
  if (rules) {
    if (deny) {
      w.error(rules.key, rules.path, `L7 rules are not allowed in ${section} (as in Cilium): deny rules are L3/L4 only`);
      return pr;
    }
    const rm = w.map(rules.value, rules.path);
    const rf = rm ? w.fields(rm, rules.path, ["http"], L7_UNSUPPORTED) : new Map();
    const http = rf.get("http");
    if (http && section === "egress") {
      w.error(http.key, http.path, "L7 rules on egress are not supported yet: flowlens enforces HTTP rules on ingress only");
    } else if (http) {
      pr.http = httpRules(w, http.value, http.path);
      if (pr.http.length > 0) checkL7Ports(w, ports?.value ?? node, ports?.path ?? path, pr.ports);
    }
  }
  return pr;
}

function portSpec(w: Walk, node: unknown, path: string): PortSpec | undefined {
  const m = w.map(node, path);
  if (!m) return undefined;
  const before = w.errors.length;
  const f = w.fields(m, path, ["port", "endPort", "protocol"]);
  const spec: PortSpec = { protocol: "ANY" };
  const port = f.get("port");
  if (port) {
    const v = w.scalar(port.value);
    if (typeof v === "string" && !/^\d+$/.test(v)) {
      w.error(port.value, port.path, `named port "${v}" is not supported: use the port number`);
    } else if ((typeof v === "string" && v !== "") || typeof v === "number") {
      const n = Number(v);
      if (!Number.isInteger(n)) w.error(port.value, port.path, `port ${v} is not a whole number`);
      else if (n === 0) w.error(port.value, port.path, "port 0 is not allowed: omit port to match every port of the protocol");
      else if (n < 1 || n > 65535) w.error(port.value, port.path, `port ${n} is out of range 1-65535`);
      else spec.port = n;
    } else {
      w.error(port.value, port.path, "must be a port number (1-65535)");
    }
  }
  const end = f.get("endPort");
  if (end) {
    const v = w.scalar(end.value);
    if (typeof v !== "number" || !Number.isInteger(v)) w.error(end.value, end.path, "must be a port number (1-65535)");
    else if (v < 1 || v > 65535) w.error(end.value, end.path, `endPort ${v} is out of range 1-65535`);
    else if (!port) w.error(end.value, end.path, "endPort needs port (the first port of the range)");
    else if (spec.port !== undefined && v < spec.port) w.error(end.value, end.path, `endPort ${v} is below port ${spec.port}`);
    else if (spec.port !== undefined && v > spec.port) spec.endPort = v;
  }
  const proto = f.get("protocol");
  if (proto) {
    const v = w.string(proto.value, proto.path);
    if (v !== undefined) {
      if ((PROTOCOLS as readonly string[]).includes(v)) spec.protocol = v as PortProtocol;
      else w.error(proto.value, proto.path, `protocol "${v}" is not supported (${PROTOCOLS.join(", ")})`);
    }
  }
  return w.errors.length === before ? spec : undefined;
}

function httpRules(w: Walk, node: unknown, path: string): HttpRuleSpec[] {
  const out: HttpRuleSpec[] = [];
  const list = w.seq(node, path);
  list?.items.forEach((item, i) => {
    const at = `${path}[${i}]`;
    const m = w.map(item, at);
    if (!m) return;
    const f = w.fields(m, at, ["method", "path"], HTTP_UNSUPPORTED);
    const rule: HttpRuleSpec = {};
    let ok = true;
    for (const field of ["method", "path"] as const) {
      const v = f.get(field);
      if (!v) continue;
      const s = w.string(v.value, v.path);
      const re = s === undefined ? undefined : compileHttpPattern(s);
      if (typeof re === "string") w.error(v.value, v.path, re);
      if (s === undefined || typeof re === "string") ok = false;
      else rule[field] = s;
    }
    if (ok) out.push(rule);
  });
  return out;
}

/** HTTP rules apply to one TCP port each: the proxy listens per (endpoint, port). */
function checkL7Ports(w: Walk, node: unknown, path: string, ports: PortSpec[]): void {
  for (const p of ports) {
    if (p.protocol === "UDP") w.error(node, path, "rules.http needs protocol TCP (or ANY, which then means TCP)");
    else if (p.port === undefined) w.error(node, path, "rules.http needs a port: HTTP rules apply to one port");
    else if (p.endPort !== undefined) w.error(node, path, "rules.http cannot be combined with endPort: HTTP rules apply to one port");
  }
}
