// Hubble's observe filter flags → whitelist/blacklist FlowFilters (from-/to- flags share one filter, plain flags split in two).
import { create, equals, type MessageInitShape } from "@bufbuild/protobuf";
import { compileFilter, FilterError, MessageType, RESERVED_IDENTITIES, TCP_FLAG_PRINT_ORDER, TRACE_POINTS } from "@flowlens/flow";
import {
  EventTypeFilterSchema,
  type FlowFilter,
  FlowFilterSchema,
  IPVersion,
  NetworkInterfaceSchema,
  TCPFlagsSchema,
  TrafficDirection,
  Verdict,
} from "@flowlens/proto";
import { UsageError } from "./errors.js";

/** Filter flags in the order they are listed in --help; each takes one value per occurrence. */
export const FILTER_FLAGS = [
  ["uuid", "show the only flow with this unique identifier, if any"],
  ["node-name", 'show flows observed on nodes matching these names (e.g. "node*", "cluster/node")'],
  ["protocol", "show flows with this L4/L7 protocol (tcp, udp, icmp, icmpv4, icmpv6, sctp, http, dns, kafka)"],
  ["tcp-flags", 'show flows with these TCP flags set (e.g. "syn", "syn,ack", "fin")'],
  ["type", "show events of TYPE[:SUBTYPE]: trace[:to-endpoint|from-endpoint|…], drop, l7, policy-verdict, capture, trace-sock"],
  ["verdict", "show flows with this verdict (FORWARDED, DROPPED, AUDIT, REDIRECTED, ERROR, TRACED, TRANSLATED)"],
  ["traffic-direction", "show flows in this direction (ingress, egress)"],
  ["from-ip", "show flows from this IP or CIDR"],
  ["ip", "show flows from or to this IP or CIDR"],
  ["to-ip", "show flows to this IP or CIDR"],
  ["ipv4", "show only IPv4 flows"],
  ["ipv6", "show only IPv6 flows"],
  ["ip-version", "show flows of this IP version (4, 6)"],
  ["from-pod", 'show flows from this pod ("[namespace/]name-prefix")'],
  ["pod", 'show flows from or to this pod ("[namespace/]name-prefix")'],
  ["to-pod", 'show flows to this pod ("[namespace/]name-prefix")'],
  ["from-namespace", "show flows from this namespace"],
  ["namespace", "show flows from or to this namespace"],
  ["to-namespace", "show flows to this namespace"],
  ["from-label", 'show flows from endpoints with these labels (selector, e.g. "app=web", "tier in (a,b)")'],
  ["label", "show flows from or to endpoints with these labels"],
  ["to-label", "show flows to endpoints with these labels"],
  ["from-port", "show flows with this source port"],
  ["port", "show flows with this source or destination port"],
  ["to-port", "show flows with this destination port"],
  ["from-identity", "show flows from this security identity (number or reserved name such as world, host)"],
  ["identity", "show flows from or to this security identity"],
  ["to-identity", "show flows to this security identity"],
  ["interface", "show flows observed on this network interface"],
] as const;

export type FilterFlagName = (typeof FILTER_FLAGS)[number][0];

/** Flags that take no value. */
export const BOOLEAN_FILTER_FLAGS: ReadonlySet<FilterFlagName> = new Set(["ipv4", "ipv6"]);

/** Flags that cannot be used together within one list (Hubble's conflict groups, for the flags Flowlens has). */
const CONFLICTS: FilterFlagName[][] = [
  ["from-ip", "ip", "from-namespace", "namespace"],
  ["from-ip", "ip", "from-pod", "pod"],
  ["to-ip", "ip", "to-namespace", "namespace"],
  ["to-ip", "ip", "to-pod", "pod"],
  ["to-pod", "namespace"],
  ["from-pod", "namespace"],
  ["label", "from-label"],
  ["label", "to-label"],
  ["port", "to-port"],
  ["port", "from-port"],
  ["identity", "to-identity"],
  ["identity", "from-identity"],
];

const EVENT_TYPES: Record<string, number> = {
  drop: MessageType.DROP,
  debug: MessageType.DEBUG,
  capture: MessageType.CAPTURE,
  trace: MessageType.TRACE,
  "policy-verdict": MessageType.POLICY_VERDICT,
  recorder: MessageType.RECORDER,
  "trace-sock": MessageType.TRACE_SOCK,
  l7: MessageType.ACCESS_LOG,
  agent: MessageType.AGENT,
};

const TCP_FLAGS = TCP_FLAG_PRINT_ORDER;

type FilterInit = MessageInitShape<typeof FlowFilterSchema>;

/** One side (whitelist or blacklist): the filter is `left OR right`, namespaces applied when finished. */
class Tracker {
  left?: FlowFilter;
  right?: FlowFilter;
  ns: string[] = [];
  srcNs: string[] = [];
  dstNs: string[] = [];
  readonly changed = new Set<FilterFlagName>();

  both(update: (f: FlowFilter) => void): void {
    this.onLeft(update);
    this.onRight(update);
  }
  onLeft(update: (f: FlowFilter) => void): void {
    this.left ??= create(FlowFilterSchema);
    update(this.left);
  }
  onRight(update: (f: FlowFilter) => void): void {
    this.right ??= create(FlowFilterSchema);
    update(this.right);
  }

  filters(): FlowFilter[] {
    if (!this.left && !this.right && this.ns.length + this.srcNs.length + this.dstNs.length === 0) return [];
    const left = this.left ?? create(FlowFilterSchema);
    const right = this.right ?? create(FlowFilterSchema);
    for (const f of [left, right]) {
      applyNamespaces(f, "destinationPod", this.dstNs);
      applyNamespaces(f, "sourcePod", this.srcNs);
    }
    applyNamespaces(left, "sourcePod", this.ns);
    applyNamespaces(right, "destinationPod", this.ns);
    return equals(FlowFilterSchema, left, right) ? [left] : [left, right];
  }
}

/** "-n ns" turns pod names without a namespace into "ns/name", and no pod filter into "ns/" (the whole namespace). */
function applyNamespaces(f: FlowFilter, field: "sourcePod" | "destinationPod", namespaces: string[]): void {
  if (namespaces.length === 0) return;
  const pods = f[field].length ? f[field] : [""];
  f[field] = pods.flatMap((p) => (p.includes("/") ? [p] : namespaces.map((ns) => `${ns}/${p}`)));
}

/** Accumulates filter flags in command-line order; `--not` sends the next one to the blacklist. */
export class FilterFlags {
  private readonly whitelist = new Tracker();
  private readonly blacklist = new Tracker();
  private negateNext = false;

  not(): void {
    if (this.negateNext) throw new UsageError("consecutive --not: each --not negates the one filter flag after it");
    this.negateNext = true;
  }

  set(name: FilterFlagName, value: string): void {
    const t = this.negateNext ? this.blacklist : this.whitelist;
    this.negateNext = false;
    t.changed.add(name);
    for (const group of CONFLICTS) {
      if (!group.includes(name)) continue;
      const other = group.find((g) => g !== name && t.changed.has(g));
      if (other) throw new UsageError(`filters --${other} and --${name} cannot be combined`);
    }
    apply(t, name, value);
  }

  /** The request's whitelist and blacklist; every filter is compiled once so bad values fail here. */
  result(): { whitelist: FlowFilter[]; blacklist: FlowFilter[] } {
    if (this.negateNext) throw new UsageError("--not must be followed by a filter flag, e.g. --not --verdict DROPPED");
    const whitelist = this.whitelist.filters();
    const blacklist = this.blacklist.filters();
    for (const f of [...whitelist, ...blacklist]) {
      try {
        compileFilter(f);
      } catch (err) {
        if (err instanceof FilterError) throw new UsageError(err.message, { cause: err });
        throw err;
      }
    }
    return { whitelist, blacklist };
  }
}

/** Checks one value the way the server will, so the message names the flag the user typed. */
function check(flag: string, value: string, init: FilterInit): void {
  try {
    compileFilter(create(FlowFilterSchema, init));
  } catch (err) {
    if (!(err instanceof FilterError)) throw err;
    const reason = err.message.replace(/^invalid .*? filter ".*?": /, "");
    throw new UsageError(`invalid --${flag} "${value}": ${reason}`, { cause: err });
  }
}

function apply(t: Tracker, name: FilterFlagName, v: string): void {
  switch (name) {
    case "uuid":
      t.both((f) => f.uuid.push(v));
      return;
    case "node-name":
      check(name, v, { nodeName: [v] });
      t.both((f) => f.nodeName.push(v));
      return;
    case "protocol":
      check(name, v, { protocol: [v] });
      t.both((f) => f.protocol.push(v));
      return;
    case "tcp-flags": {
      const flags = parseTcpFlags(v);
      t.both((f) => f.tcpFlags.push(flags));
      return;
    }
    case "type": {
      const et = parseEventType(v);
      t.both((f) => f.eventType.push(et));
      return;
    }
    case "verdict": {
      const verdict = parseVerdict(v);
      t.both((f) => f.verdict.push(verdict));
      return;
    }
    case "traffic-direction": {
      const td = v.toLowerCase();
      if (td !== "ingress" && td !== "egress") throw new UsageError(`invalid --traffic-direction "${v}": use ingress or egress`);
      const dir = td === "ingress" ? TrafficDirection.INGRESS : TrafficDirection.EGRESS;
      t.both((f) => f.trafficDirection.push(dir));
      return;
    }
    case "from-ip":
      check(name, v, { sourceIp: [v] });
      t.both((f) => f.sourceIp.push(v));
      return;
    case "to-ip":
      check(name, v, { destinationIp: [v] });
      t.both((f) => f.destinationIp.push(v));
      return;
    case "ip":
      check(name, v, { sourceIp: [v] });
      t.onLeft((f) => f.sourceIp.push(v));
      t.onRight((f) => f.destinationIp.push(v));
      return;
    case "ipv4":
      t.both((f) => f.ipVersion.push(IPVersion.IPv4));
      return;
    case "ipv6":
      t.both((f) => f.ipVersion.push(IPVersion.IPv6));
      return;
    case "ip-version": {
      const ver = parseIpVersion(v);
      t.both((f) => f.ipVersion.push(ver));
      return;
    }
    case "from-pod":
      check(name, v, { sourcePod: [v] });
      t.both((f) => f.sourcePod.push(v));
      return;
    case "to-pod":
      check(name, v, { destinationPod: [v] });
      t.both((f) => f.destinationPod.push(v));
      return;
    case "pod":
      check(name, v, { sourcePod: [v] });
      t.onLeft((f) => f.sourcePod.push(v));
      t.onRight((f) => f.destinationPod.push(v));
      return;
    case "namespace":
      checkNamespace(name, v);
      t.ns.push(v);
      return;
    case "from-namespace":
      checkNamespace(name, v);
      t.srcNs.push(v);
      return;
    case "to-namespace":
      checkNamespace(name, v);
      t.dstNs.push(v);
      return;
    case "from-label":
      check(name, v, { sourceLabel: [v] });
      t.both((f) => f.sourceLabel.push(v));
      return;
    case "to-label":
      check(name, v, { destinationLabel: [v] });
      t.both((f) => f.destinationLabel.push(v));
      return;
    case "label":
      check(name, v, { sourceLabel: [v] });
      t.onLeft((f) => f.sourceLabel.push(v));
      t.onRight((f) => f.destinationLabel.push(v));
      return;
    case "from-port":
      check(name, v, { sourcePort: [v] });
      t.both((f) => f.sourcePort.push(v));
      return;
    case "to-port":
      check(name, v, { destinationPort: [v] });
      t.both((f) => f.destinationPort.push(v));
      return;
    case "port":
      check(name, v, { sourcePort: [v] });
      t.onLeft((f) => f.sourcePort.push(v));
      t.onRight((f) => f.destinationPort.push(v));
      return;
    case "from-identity": {
      const id = parseIdentity(name, v);
      t.both((f) => f.sourceIdentity.push(id));
      return;
    }
    case "to-identity": {
      const id = parseIdentity(name, v);
      t.both((f) => f.destinationIdentity.push(id));
      return;
    }
    case "identity": {
      const id = parseIdentity(name, v);
      t.onLeft((f) => f.sourceIdentity.push(id));
      t.onRight((f) => f.destinationIdentity.push(id));
      return;
    }
    case "interface":
      t.both((f) => f.interface.push(create(NetworkInterfaceSchema, { name: v })));
      return;
  }
}

function checkNamespace(flag: string, v: string): void {
  if (v === "" || v.includes("/")) throw new UsageError(`invalid --${flag} "${v}": a namespace name has no "/"`);
}

export function parseVerdict(v: string): Verdict {
  const n = Verdict[v.toUpperCase() as keyof typeof Verdict];
  if (n === undefined || n === Verdict.VERDICT_UNKNOWN) {
    const names = Object.keys(Verdict).filter((k) => Number.isNaN(Number(k)) && k !== "VERDICT_UNKNOWN");
    throw new UsageError(`unknown --verdict "${v}": use one of ${names.join(", ")}`);
  }
  return n;
}

export function parseTcpFlags(v: string) {
  const flags = create(TCPFlagsSchema);
  for (const part of v.split(",")) {
    const name = part.trim().toUpperCase();
    if (!(TCP_FLAGS as readonly string[]).includes(name)) {
      throw new UsageError(`unknown --tcp-flags flag "${part}": use ${TCP_FLAGS.join(", ")} (comma-separated)`);
    }
    flags[name as (typeof TCP_FLAGS)[number]] = true;
  }
  return flags;
}

export function parseEventType(v: string) {
  const [typeName = "", sub] = v.split(/:(.*)/s, 2);
  let type = EVENT_TYPES[typeName];
  if (type === undefined) {
    if (!/^\d+$/.test(typeName)) {
      throw new UsageError(`unknown --type "${typeName}": use one of ${Object.keys(EVENT_TYPES).join(", ")} or a number`);
    }
    type = Number(typeName);
  }
  if (sub === undefined) return create(EventTypeFilterSchema, { type });
  let subType = type === MessageType.TRACE ? (TRACE_POINTS as readonly string[]).indexOf(sub) : -1;
  if (subType < 0) {
    if (!/^\d+$/.test(sub)) {
      const hint = type === MessageType.TRACE ? `use one of ${TRACE_POINTS.join(", ")}` : "use a number";
      throw new UsageError(`unknown --type sub-type "${sub}" for ${typeName}: ${hint}`);
    }
    subType = Number(sub);
  }
  return create(EventTypeFilterSchema, { type, matchSubType: true, subType });
}

function parseIpVersion(v: string): IPVersion {
  const s = v.toLowerCase();
  if (["4", "v4", "ipv4", "ip4"].includes(s)) return IPVersion.IPv4;
  if (["6", "v6", "ipv6", "ip6"].includes(s)) return IPVersion.IPv6;
  throw new UsageError(`invalid --ip-version "${v}": use 4 or 6`);
}

function parseIdentity(flag: string, v: string): number {
  const reserved = (RESERVED_IDENTITIES as Record<string, number>)[v];
  if (reserved !== undefined) return reserved;
  if (/^\d+$/.test(v) && Number(v) <= 0xffffffff) return Number(v);
  throw new UsageError(`invalid --${flag} "${v}": use a number or one of ${Object.keys(RESERVED_IDENTITIES).join(", ")}`);
}
