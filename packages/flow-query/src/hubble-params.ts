// Hubble `observe`-style query parameters (from-pod=…&verdict=DROPPED) to the filter AST: each value becomes the
// FlowFilter `observe` would send, so it means exactly what the live filter does; values of one name are ORed,
// names ANDed.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { DropReason, type FlowFilterSchema, FlowFilterSchema as Schema, TrafficDirection, Verdict } from "@flowlens/proto";
import { FilterSyntaxError } from "./errors.js";
import { andExprs, cond, type FilterExpr, orExprs } from "./expr.js";
import { flowFilterToExpr } from "./flow-filters.js";

type Init = MessageInitShape<typeof FlowFilterSchema>;

/** Most values of one parameter. */
export const MAX_PARAM_VALUES = 1000;

function enumNumber(param: string, e: Record<string, string | number>, value: string): number {
  const v = value.trim().toUpperCase();
  const n = /^\d+$/.test(v) ? Number(v) : e[v];
  if (typeof n !== "number" || e[n] === undefined) {
    throw new FilterSyntaxError(`invalid value '${value}' for parameter ${param}: unknown ${param}`, { offset: 0 });
  }
  return n;
}

const FLAG_NAMES = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"] as const;

function tcpFlags(param: string, value: string): Init {
  const flags: Record<string, boolean> = {};
  for (const raw of value.split(",")) {
    const f = raw.trim().toUpperCase();
    if (!(FLAG_NAMES as readonly string[]).includes(f)) {
      throw new FilterSyntaxError(`invalid value '${value}' for parameter ${param}: unknown TCP flag '${raw}'`, { offset: 0 });
    }
    flags[f] = true;
  }
  return { tcpFlags: [flags] };
}

function either(a: Init, b: Init): Init[] {
  return [a, b];
}

/** Each parameter's value as one or two FlowFilters (two: either side, ORed). */
const PARAMS: Record<string, (value: string, param: string) => Init[] | FilterExpr> = {
  uuid: (v) => [{ uuid: [v] }],
  "node-name": (v) => [{ nodeName: [v] }],
  protocol: (v) => [{ protocol: [v] }],
  "tcp-flags": (v, p) => [tcpFlags(p, v)],
  // Cilium event types have no column; "l7" is the one the flow type answers
  type: (v, p) => {
    if (v.toLowerCase() === "l7") return cond("type", "=", ["L7"]);
    throw new FilterSyntaxError(`parameter ${p}=${v} cannot run on the flow history: only type=l7 has a column (event types live only)`, {
      offset: 0,
    });
  },
  verdict: (v, p) => [{ verdict: [enumNumber(p, Verdict, v)] }],
  "drop-reason": (v, p) => [{ dropReasonDesc: [enumNumber(p, DropReason, v)] }],
  "drop-reason-desc": (v, p) => [{ dropReasonDesc: [enumNumber(p, DropReason, v)] }],
  "traffic-direction": (v, p) => [{ trafficDirection: [enumNumber(p, TrafficDirection, v)] }],
  "from-ip": (v) => [{ sourceIp: [v] }],
  "to-ip": (v) => [{ destinationIp: [v] }],
  ip: (v) => either({ sourceIp: [v] }, { destinationIp: [v] }),
  ipv4: () => [{ ipVersion: [1] }],
  ipv6: () => [{ ipVersion: [2] }],
  "ip-version": (v, p) => {
    if (v !== "4" && v !== "6") throw new FilterSyntaxError(`invalid value '${v}' for parameter ${p}: use 4 or 6`, { offset: 0 });
    return [{ ipVersion: [v === "4" ? 1 : 2] }];
  },
  "from-pod": (v) => [{ sourcePod: [v] }],
  "to-pod": (v) => [{ destinationPod: [v] }],
  pod: (v) => either({ sourcePod: [v] }, { destinationPod: [v] }),
  "from-namespace": (v) => [{ sourcePod: [`${v}/`] }],
  "to-namespace": (v) => [{ destinationPod: [`${v}/`] }],
  namespace: (v) => either({ sourcePod: [`${v}/`] }, { destinationPod: [`${v}/`] }),
  "from-label": (v) => [{ sourceLabel: [v] }],
  "to-label": (v) => [{ destinationLabel: [v] }],
  label: (v) => either({ sourceLabel: [v] }, { destinationLabel: [v] }),
  "from-port": (v) => [{ sourcePort: [v] }],
  "to-port": (v) => [{ destinationPort: [v] }],
  port: (v) => either({ sourcePort: [v] }, { destinationPort: [v] }),
  "from-identity": (v) => [{ sourceIdentity: [Number(v)] }],
  "to-identity": (v) => [{ destinationIdentity: [Number(v)] }],
  identity: (v) => either({ sourceIdentity: [Number(v)] }, { destinationIdentity: [Number(v)] }),
  interface: (v) => [{ interface: [{ name: v }] }],
  "http-status": (v) => [{ httpStatusCode: [v] }],
  "http-method": (v) => [{ httpMethod: [v] }],
  "http-path": (v) => [{ httpPath: [v] }],
  "http-url": (v) => [{ httpUrl: [v] }],
  "dns-query": (v) => [{ dnsQuery: [v] }],
  reply: (v, p) => {
    if (v !== "true" && v !== "false")
      throw new FilterSyntaxError(`invalid value '${v}' for parameter ${p}: use true or false`, { offset: 0 });
    return [{ reply: [v === "true"] }];
  },
};

const IDENTITY_PARAMS = new Set(["from-identity", "to-identity", "identity"]);

/** The parameter names understood. */
export const HUBBLE_PARAM_NAMES: readonly string[] = Object.keys(PARAMS);

function checkedValue(param: string, value: string): Init[] | FilterExpr {
  const make = PARAMS[param];
  if (!make) {
    throw new FilterSyntaxError(`unknown filter parameter '${param}'`, { offset: 0 });
  }
  if (IDENTITY_PARAMS.has(param) && !/^\d{1,10}$/.test(value.trim())) {
    throw new FilterSyntaxError(`invalid value '${value}' for parameter ${param}: not a numeric identity`, { offset: 0 });
  }
  const out = make(value, param);
  if (Array.isArray(out)) for (const init of out) named(param, () => flowFilterToExpr(create(Schema, init)));
  return out;
}

function named<T>(param: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof FilterSyntaxError) {
      throw new FilterSyntaxError(`parameter ${param}: ${err.problem}`, err.position, undefined, { cause: err });
    }
    throw err;
  }
}

// Values of one parameter as one FlowFilter per side (their lists concatenated: values of a field OR), so a
// thousand addresses become one IN-like condition instead of a thousand.
function mergeInits(perValue: Init[][]): Init[] {
  const sides = perValue[0]?.length ?? 0;
  return Array.from({ length: sides }, (_, k) => {
    const merged: Record<string, unknown[]> = {};
    for (const inits of perValue) {
      for (const [key, list] of Object.entries(inits[k] ?? {})) merged[key] = [...(merged[key] ?? []), ...(list as unknown[])];
    }
    return merged as Init;
  });
}

function paramExpr(param: string, values: string[]): FilterExpr | undefined {
  const outs = values.map((v) => checkedValue(param, v));
  const lists = outs.filter((o): o is Init[] => Array.isArray(o));
  const exprs = outs.filter((o): o is FilterExpr => !Array.isArray(o));
  const merged = lists.length
    ? named(param, () => orExprs(...mergeInits(lists).map((init) => flowFilterToExpr(create(Schema, init)))))
    : undefined;
  return orExprs(merged, ...exprs);
}

/** Parameters (name → values) to one expression, or undefined when none is given; throws FilterSyntaxError naming the parameter. */
export function hubbleParamsToExpr(params: Record<string, string[]>): FilterExpr | undefined {
  const parts: (FilterExpr | undefined)[] = [];
  for (const [param, values] of Object.entries(params)) {
    if (values.length > MAX_PARAM_VALUES) {
      throw new FilterSyntaxError(`parameter ${param} has more than ${MAX_PARAM_VALUES} values`, { offset: 0 });
    }
    if (values.length === 0) continue;
    parts.push(paramExpr(param, values));
  }
  return andExprs(...parts);
}
