// Hubble FlowFilters (whitelist ORed, minus the blacklist) to the filter AST, with the live evaluator's meaning
// (packages/flow/src/filters). A FlowFilter field no `flows` column can answer is refused by name.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { compileFilter, FilterError, nodeNamePatternSource, parseNamespacedName } from "@flowlens/flow";
import { type FlowFilter, FlowFilterSchema } from "@flowlens/proto";
import { FilterSyntaxError } from "./errors.js";
import { andExprs, type CondOp, cond, type FilterExpr, notExpr, orExprs } from "./expr.js";

/** FlowFilter fields that have no column in the flow history, with what is missing. */
const NO_COLUMN: Record<string, string> = {
  sourceIpXlated: "source_ip_xlated",
  sourceService: "source_service",
  destinationService: "destination_service",
  sourceFqdn: "source_fqdn",
  destinationFqdn: "destination_fqdn",
  sourceWorkload: "source_workload",
  destinationWorkload: "destination_workload",
  sourceClusterName: "source_cluster_name",
  destinationClusterName: "destination_cluster_name",
  nodeLabels: "node_labels",
  eventType: "event_type",
  httpHeader: "http_header",
  traceId: "trace_id",
};

function unsupported(field: string, value: unknown): never {
  throw new FilterSyntaxError(
    `the ${field} filter (${JSON.stringify(value)}) cannot run on the flow history: no column of the flows table holds it (it works on live flows)`,
    { offset: 0 },
  );
}

function anyOf(field: string, op: CondOp, values: readonly string[]): FilterExpr | undefined {
  if (values.length === 0) return undefined;
  return cond(field, values.length > 1 && op === "=" ? "in" : op, [...values]);
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, "\\$&");
}

/** "[namespace/][name-prefix]" as Hubble reads it: the namespace equals, the pod name starts with the prefix. */
function podExpr(side: "source" | "destination", field: string, value: string): FilterExpr {
  const { namespace, prefix } = parseNamespacedName(field, value);
  return andExprs(
    cond(`${side}_namespace`, "=", [namespace]),
    prefix === "" ? undefined : cond(`${side}_pod`, "like", [`${escapeLike(prefix)}%`]),
  ) as FilterExpr;
}

function nodeNameExpr(pattern: string): FilterExpr {
  // nodes without a cluster part are in cluster "default", so the cluster part is optional when it matches "default"
  const [cluster, node] = nodeNamePatternSource(pattern).split(/\/(?=[^/]*$)/) as [string, string];
  const withDefault = new RegExp(`^(?:${cluster})$`).test("default");
  const re = withDefault ? `^(?:(?:${cluster})/)?(?:${node})$` : `^(?:${cluster})/(?:${node})$`;
  return andExprs(cond("node_name", "!=", [""]), cond("node_name", "~", [re])) as FilterExpr;
}

function httpCodeExpr(code: string): FilterExpr {
  if (code.endsWith("+")) {
    const c = Number(code[0]);
    return andExprs(cond("http_code", ">=", [String(c * 100)]), cond("http_code", "<=", [String(c * 100 + 99)])) as FilterExpr;
  }
  return cond("http_code", "=", [code]);
}

const IP_VERSION: Record<number, string> = { 0: "0", 1: "4", 2: "6" };

/** One FlowFilter: every set field ANDed, the values of one field ORed; undefined when nothing is set (matches all). */
export function flowFilterToExpr(ff: FlowFilter): FilterExpr | undefined {
  try {
    compileFilter(ff); // the live evaluator's validation: same refusals, same messages
  } catch (err) {
    if (err instanceof FilterError) throw new FilterSyntaxError(err.message, { offset: 0 }, undefined, { cause: err });
    throw err;
  }
  for (const [key, name] of Object.entries(NO_COLUMN)) {
    const v = (ff as unknown as Record<string, unknown[]>)[key];
    if (Array.isArray(v) && v.length > 0) unsupported(name, v[0]);
  }
  const parts: (FilterExpr | undefined)[] = [
    anyOf("uuid", "=", ff.uuid),
    anyOf("source_ip", "=", ff.sourceIp),
    anyOf("destination_ip", "=", ff.destinationIp),
    orExprs(...ff.sourcePod.map((v) => podExpr("source", "source_pod", v))),
    orExprs(...ff.destinationPod.map((v) => podExpr("destination", "destination_pod", v))),
    orExprs(...ff.sourceLabel.map((s) => cond("source_label", "=", [s]))),
    orExprs(...ff.destinationLabel.map((s) => cond("destination_label", "=", [s]))),
    orExprs(...ff.dnsQuery.map((re) => cond("dns_query", "~", [re]))),
    anyOf(
      "source_port",
      "=",
      ff.sourcePort.map((p) => p.trim()),
    ),
    anyOf(
      "destination_port",
      "=",
      ff.destinationPort.map((p) => p.trim()),
    ),
    anyOf("protocol", "=", ff.protocol),
    anyOf("verdict", "=", ff.verdict.map(String)),
    anyOf("drop_reason", "=", ff.dropReasonDesc.map(String)),
    orExprs(
      ...ff.tcpFlags.map(
        (f) =>
          andExprs(
            cond("protocol", "=", ["tcp"]),
            ...(["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"] as const)
              .filter((n) => f[n])
              .map((n) => cond("tcp_flags", "=", [n])),
          ) as FilterExpr,
      ),
    ),
    anyOf("traffic_direction", "=", ff.trafficDirection.map(String)),
    orExprs(...ff.nodeName.map(nodeNameExpr)),
    orExprs(
      ...ff.ipVersion.map((v) =>
        // version 0 (unknown) matches only flows that have an IP header, as live; a stored address stands for it
        v === 0
          ? andExprs(cond("ip_version", "=", ["0"]), cond("source_ip", "in", ["0.0.0.0/0", "::/0"]))
          : cond("ip_version", "=", [IP_VERSION[v] ?? String(v)]),
      ),
    ),
    orExprs(...ff.reply.map((r) => cond("is_reply", "=", [String(r)]))),
    orExprs(
      ...ff.interface.map((i) => {
        if (i.index !== 0) unsupported("interface index", i.index);
        return i.name === "" ? cond("interface", "!=", [""]) : cond("interface", "=", [i.name]);
      }),
    ),
    anyOf("source_identity", "=", ff.sourceIdentity.map(String)),
    anyOf("destination_identity", "=", ff.destinationIdentity.map(String)),
    orExprs(...ff.httpStatusCode.map(httpCodeExpr)),
    anyOf("http_method", "=", ff.httpMethod),
    orExprs(...ff.httpPath.map((re) => cond("http_path", "~", [re]))),
    orExprs(...ff.httpUrl.map((re) => cond("http_url", "~", [re]))),
  ];
  return andExprs(...parts);
}

/** Hubble's semantics: whitelist filters ORed (none = everything), minus anything a blacklist filter matches. */
export function flowFiltersToExpr(
  whitelist: (FlowFilter | MessageInitShape<typeof FlowFilterSchema>)[],
  blacklist: (FlowFilter | MessageInitShape<typeof FlowFilterSchema>)[],
): FilterExpr | undefined {
  const exprs = (list: typeof whitelist) =>
    list.map((f) => flowFilterToExpr(create(FlowFilterSchema, f as MessageInitShape<typeof FlowFilterSchema>)));
  const allow = exprs(whitelist);
  const deny = exprs(blacklist);
  // a filter with no field set matches every flow
  const allowExpr = allow.length === 0 || allow.includes(undefined) ? undefined : orExprs(...allow);
  const denyExpr = deny.length === 0 ? undefined : deny.includes(undefined) ? { kind: "and" as const, items: [] } : orExprs(...deny);
  return andExprs(allowExpr, denyExpr ? notExpr(denyExpr) : undefined);
}
