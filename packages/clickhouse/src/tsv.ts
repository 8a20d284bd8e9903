// FlowRow[] → TabSeparated text: the insert format both 18.16 and current ClickHouse parse fastest (no
// key names per row as in JSONEachRow; JSONCompactEachRow does not exist in 18.16).
import type { FlowRow } from "./rows.js";

// TSV field escaping: backslash, tab, newline and CR are the bytes the parser treats specially.
const NEEDS_ESCAPE = /[\\\t\n\r]/;
const NEEDS_QUOTE_ESCAPE = /[\\'\t\n\r]/;

function escapeField(s: string): string {
  return s.replace(/[\\\t\n\r]/g, (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r"));
}

// Array elements are written quoted ('…', backslash and quote escaped) inside [...], the same text the
// server itself writes for arrays in TSV; tabs/newlines inside are escaped so the field stays one field.
function quoteEscape(s: string): string {
  return s.replace(/[\\'\t\n\r]/g, (c) => (c === "\\" ? "\\\\" : c === "'" ? "\\'" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r"));
}

function esc(s: string): string {
  return NEEDS_ESCAPE.test(s) ? escapeField(s) : s;
}

function arr(a: readonly string[]): string {
  if (a.length === 0) return "[]";
  let out = "[";
  for (let i = 0; i < a.length; i++) out += (i > 0 ? ",'" : "'") + (NEEDS_QUOTE_ESCAPE.test(a[i]) ? quoteEscape(a[i]) : a[i]) + "'";
  return `${out}]`;
}

function num(n: number): number {
  if (!Number.isFinite(n)) throw new Error(`cannot write ${n} into a flow row`);
  return n;
}

// One template per row: written out column by column (generated once from FLOW_COLUMNS, checked by a
// test against FLOW_COLUMN_NAMES) because a generic per-field loop was slower than JSON.stringify.
function line(r: FlowRow): string {
  return `${esc(r.time)}\t${num(r.time_ns)}\t${esc(r.uuid)}\t${esc(r.node_name)}\t${esc(r.verdict)}\t${esc(r.drop_reason)}\t${esc(r.type)}\t${esc(r.observation_point)}\t${num(r.ip_version)}\t${esc(r.src_ip)}\t${esc(r.dst_ip)}\t${num(r.src_port)}\t${num(r.dst_port)}\t${esc(r.protocol)}\t${num(r.icmp_type)}\t${num(r.icmp_code)}\t${arr(r.tcp_flags)}\t${esc(r.src_namespace)}\t${esc(r.src_pod)}\t${esc(r.src_workload)}\t${arr(r.src_labels)}\t${num(r.src_identity)}\t${esc(r.dst_namespace)}\t${esc(r.dst_pod)}\t${esc(r.dst_workload)}\t${arr(r.dst_labels)}\t${num(r.dst_identity)}\t${esc(r.traffic_direction)}\t${num(r.is_reply)}\t${esc(r.interface)}\t${num(r.packets)}\t${num(r.bytes)}\t${num(r.rtt_ns)}\t${num(r.retransmits)}\t${arr(r.flow_events)}\t${esc(r.kernel_drop_reason)}\t${num(r.pid)}\t${esc(r.comm)}\t${esc(r.l7_type)}\t${num(r.l7_latency_ns)}\t${esc(r.http_method)}\t${esc(r.http_url)}\t${num(r.http_code)}\t${esc(r.http_protocol)}\t${esc(r.dns_query)}\t${num(r.dns_rcode)}\t${arr(r.dns_qtypes)}\t${esc(r.kafka_topic)}\t${esc(r.kafka_api_key)}\t${esc(r.flow_pb)}`;
}

/** The rows as TabSeparated lines, columns in FLOW_COLUMN_NAMES order. */
export function rowsToTsv(rows: readonly FlowRow[]): string {
  if (rows.length === 0) return "";
  // one join at the end: appending to one string builds a deep rope that is slow to flatten
  const lines: string[] = new Array(rows.length + 1);
  for (let i = 0; i < rows.length; i++) lines[i] = line(rows[i]);
  lines[rows.length] = "";
  return lines.join("\n");
}

/** The column order rowsToTsv writes (for the test that keeps it equal to the table's). */
export const TSV_COLUMNS: readonly string[] = [
  "time",
  "time_ns",
  "uuid",
  "node_name",
  "verdict",
  "drop_reason",
  "type",
  "observation_point",
  "ip_version",
  "src_ip",
  "dst_ip",
  "src_port",
  "dst_port",
  "protocol",
  "icmp_type",
  "icmp_code",
  "tcp_flags",
  "src_namespace",
  "src_pod",
  "src_workload",
  "src_labels",
  "src_identity",
  "dst_namespace",
  "dst_pod",
  "dst_workload",
  "dst_labels",
  "dst_identity",
  "traffic_direction",
  "is_reply",
  "interface",
  "packets",
  "bytes",
  "rtt_ns",
  "retransmits",
  "flow_events",
  "kernel_drop_reason",
  "pid",
  "comm",
  "l7_type",
  "l7_latency_ns",
  "http_method",
  "http_url",
  "http_code",
  "http_protocol",
  "dns_query",
  "dns_rcode",
  "dns_qtypes",
  "kafka_topic",
  "kafka_api_key",
  "flow_pb",
];
