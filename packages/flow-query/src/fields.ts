// The field catalog: every field the filter language knows, its type, the `flows` column(s) it reads and
// the rollup column that has it. The one source of truth for field names; conditions.ts gives each type its SQL.

/**
 * How a field's values are read and which operators it takes:
 * string (= != < <= > >= LIKE ~ IN), number (comparisons, IN), enum (names or numbers, = != IN),
 * ip (addresses and CIDRs, = != IN), labels (a Kubernetes label selector, = !=), flags (TCP flag names,
 * = != IN: has the flag / any of them), bool (true/false, = !=), protocol (tcp udp sctp icmp icmpv4 icmpv6 http dns kafka).
 */
export type FieldType = "string" | "number" | "enum" | "ip" | "labels" | "flags" | "bool" | "protocol";

export interface FieldDef {
  name: string;
  type: FieldType;
  /** The raw `flows` column. */
  column: string;
  /** For enum fields: the proto enum whose names the column holds. */
  enumName?: "Verdict" | "DropReason" | "FlowType" | "TrafficDirection" | "TraceObservationPoint" | "L7FlowType";
  /** The rollup column with the same meaning, when there is one (rollup rows are oriented by connection). */
  rollup?: string;
  /** The rollup tables that have that column. */
  rollupTables?: readonly string[];
  /** For pod fields: the namespace column, compared when a value is "namespace/name". */
  namespaceColumn?: string;
  /** Values compared case-insensitively (= and IN). */
  caseInsensitive?: boolean;
  /** SQL expression read instead of the bare column (written over columns only, never over input). */
  expression?: string;
  /** Rows that have this field at all (an L7 field on an L3/L4 row never matches, as in Hubble). */
  present?: string;
  description: string;
}

const HTTP_PRESENT = "(http_method != '' OR http_code != 0 OR http_url != '')";
const DNS_PRESENT = "(dns_query != '' OR dns_rcode != 0 OR notEmpty(dns_qtypes))";

const ALL_ROLLUPS = ["flows_minute", "flows_5m", "flows_1h"] as const;
const COARSE_ROLLUPS = ["flows_5m", "flows_1h"] as const;

function sides(
  base: string,
  type: FieldType,
  srcColumn: string,
  dstColumn: string,
  what: string,
  rollupTables?: readonly string[],
): FieldDef[] {
  return [
    {
      name: `source_${base}`,
      type,
      column: srcColumn,
      rollup: rollupTables ? `source_${base}` : undefined,
      rollupTables,
      description: `source ${what}`,
    },
    {
      name: `destination_${base}`,
      type,
      column: dstColumn,
      rollup: rollupTables ? `destination_${base}` : undefined,
      rollupTables,
      description: `destination ${what}`,
    },
  ];
}

export const FIELDS: readonly FieldDef[] = [
  ...sides("pod", "string", "src_pod", "dst_pod", 'pod name; "namespace/name" compares both', ["flows_minute"]).map((f) => ({
    ...f,
    namespaceColumn: f.column === "src_pod" ? "src_namespace" : "dst_namespace",
  })),
  ...sides("namespace", "string", "src_namespace", "dst_namespace", "namespace", ALL_ROLLUPS),
  ...sides("ip", "ip", "src_ip", "dst_ip", "IP address (v4 or v6; CIDRs match ranges)"),
  ...sides("port", "number", "src_port", "dst_port", "TCP/UDP/SCTP port (ICMP flows have none)").map((f) => ({
    ...f,
    present: "protocol IN ('TCP', 'UDP', 'SCTP')",
  })),
  ...sides("workload", "string", "src_workload", "dst_workload", "workload (first workload name, else app label, else pod)", ALL_ROLLUPS),
  ...sides("label", "labels", "src_labels", "dst_labels", 'labels, matched by a label selector ("app=web,tier!=db")'),
  ...sides("identity", "number", "src_identity", "dst_identity", "numeric security identity"),
  {
    name: "verdict",
    type: "enum",
    enumName: "Verdict",
    column: "verdict",
    rollup: "verdict",
    rollupTables: ALL_ROLLUPS,
    description: "FORWARDED, DROPPED, AUDIT, …",
  },
  {
    name: "drop_reason",
    type: "enum",
    enumName: "DropReason",
    column: "drop_reason",
    rollup: "drop_reason",
    rollupTables: COARSE_ROLLUPS,
    description: "Hubble drop reason (name or number)",
  },
  { name: "protocol", type: "protocol", column: "protocol", description: "tcp udp sctp icmp icmpv4 icmpv6 (L4), http dns kafka (L7)" },
  { name: "type", type: "enum", enumName: "FlowType", column: "type", description: "flow type: L3_L4, L7, SOCK, …" },
  {
    name: "observation_point",
    type: "enum",
    enumName: "TraceObservationPoint",
    column: "observation_point",
    description: "where the flow was seen",
  },
  {
    name: "traffic_direction",
    type: "enum",
    enumName: "TrafficDirection",
    column: "traffic_direction",
    rollup: "traffic_direction",
    rollupTables: COARSE_ROLLUPS,
    description: "INGRESS or EGRESS",
  },
  {
    name: "is_reply",
    type: "bool",
    column: "is_reply",
    description: "true for reply flows; an unknown is false on drops only (Hubble's rule)",
  },
  { name: "ip_version", type: "number", column: "ip_version", description: "4 or 6 (0: unknown)" },
  { name: "node_name", type: "string", column: "node_name", description: "node that observed the flow" },
  { name: "interface", type: "string", column: "interface", description: "network interface name" },
  { name: "tcp_flags", type: "flags", column: "tcp_flags", description: "SYN ACK FIN RST PSH URG ECE CWR NS" },
  { name: "uuid", type: "string", column: "uuid", description: "flow uuid" },
  { name: "bytes", type: "number", column: "bytes", description: "bytes of the flow so far (both directions)" },
  { name: "packets", type: "number", column: "packets", description: "packets of the flow so far (both directions)" },
  { name: "l7_type", type: "enum", enumName: "L7FlowType", column: "l7_type", description: "REQUEST, RESPONSE, SAMPLE" },
  { name: "http_method", type: "string", column: "http_method", caseInsensitive: true, present: HTTP_PRESENT, description: "HTTP method" },
  { name: "http_code", type: "number", column: "http_code", present: "http_code != 0", description: "HTTP status code" },
  { name: "http_url", type: "string", column: "http_url", present: HTTP_PRESENT, description: "HTTP URL" },
  {
    name: "http_path",
    type: "string",
    column: "http_url",
    // the URL's path: path() for an absolute URL, the part before ? or # for a relative one
    expression: "if(position(http_url, '://') > 0, path(http_url), extract(http_url, '^[^?#]*'))",
    present: HTTP_PRESENT,
    description: "path of the HTTP URL (no query)",
  },
  { name: "dns_query", type: "string", column: "dns_query", present: DNS_PRESENT, description: "DNS query name" },
  { name: "dns_rcode", type: "number", column: "dns_rcode", present: DNS_PRESENT, description: "DNS response code" },
];

/** Either-side shorthands: `pod = x` is source_pod = x OR destination_pod = x. */
export const SHORTHANDS: Readonly<Record<string, readonly [string, string]>> = {
  pod: ["source_pod", "destination_pod"],
  namespace: ["source_namespace", "destination_namespace"],
  ip: ["source_ip", "destination_ip"],
  port: ["source_port", "destination_port"],
  label: ["source_label", "destination_label"],
  workload: ["source_workload", "destination_workload"],
  identity: ["source_identity", "destination_identity"],
};

/** Other names for fields (Hubble's and the design notes' spellings). */
export const ALIASES: Readonly<Record<string, string>> = {
  l4: "protocol",
  event_type: "type",
  http_status: "http_code",
  http_status_code: "http_code",
  reply: "is_reply",
};

const BY_NAME = new Map(FIELDS.map((f) => [f.name, f]));

/** The field of a name or alias (lower case), or undefined. */
export function fieldNamed(name: string): FieldDef | undefined {
  const n = name.toLowerCase();
  return BY_NAME.get(ALIASES[n] ?? n);
}

/** Every name a user may write: fields, aliases and shorthands (for "did you mean"). */
export const KNOWN_NAMES: readonly string[] = [...FIELDS.map((f) => f.name), ...Object.keys(ALIASES), ...Object.keys(SHORTHANDS)];

/** Operators each type takes. */
export const TYPE_OPS: Readonly<Record<FieldType, readonly string[]>> = {
  string: ["=", "!=", "<", "<=", ">", ">=", "like", "~", "in", "not in"],
  number: ["=", "!=", "<", "<=", ">", ">=", "in", "not in"],
  enum: ["=", "!=", "in", "not in"],
  ip: ["=", "!=", "in", "not in"],
  labels: ["=", "!="],
  flags: ["=", "!=", "in", "not in"],
  bool: ["=", "!="],
  protocol: ["=", "!=", "in", "not in"],
};
