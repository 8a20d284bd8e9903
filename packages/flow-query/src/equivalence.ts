// The flows and filter queries of the SQL-vs-live equivalence check, shared by the end-to-end test (ClickHouse
// 18.16) and modern/ (current ClickHouse through chdb): each query's expected uuids come from the live evaluator.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { compileFilters, type FilterCase, filterCaseTables } from "@flowlens/flow";
import { type Flow, type FlowFilter, FlowFilterSchema, FlowSchema } from "@flowlens/proto";
import type { FilterExpr } from "./expr.js";
import { EXPRESSION_FLOWS, expressionCases } from "./expression.cases.js";
import { flowFiltersToExpr } from "./flow-filters.js";
import { parseFilter } from "./parse.js";
import { exprToSql } from "./sql.js";
import { exprToText } from "./text.js";

/** Case-table dimensions no `flows` column holds: the compiler must refuse them by name. */
export const NO_COLUMN_CASES: Record<string, string> = {
  "service/service prefix": "destination_service",
  "service/no source service": "source_service",
  "fqdn/destination name glob": "destination_fqdn",
  "fqdn/source name miss": "source_fqdn",
  "workload/name and kind": "source_workload",
  "workload/kind only": "destination_workload",
  "cluster_name/source cluster": "source_cluster_name",
  "cluster_name/destination cluster": "destination_cluster_name",
  "event_type/type trace": "event_type",
  "event_type/sub-type 0 counts when asked": "event_type",
  "event_type/wrong sub-type": "event_type",
  "event_type/sub-type ignored unless asked": "event_type",
  "event_type/ORed": "event_type",
  "event_type/no event type on flow": "event_type",
  "labels/node labels": "node_labels",
  "http/header": "http_header",
  "interface/by index": "interface index",
  "trace_id/trace id": "trace_id",
  "trace_id/no trace": "trace_id",
};

export interface Stored {
  name: string;
  c: FilterCase;
  flow: Flow;
}

const BASE_MS = Date.UTC(2026, 0, 15, 12, 0, 0);

// every case's flow, with a unique uuid unless the case is about uuids
export const stored: Stored[] = filterCaseTables.flatMap((table, t) =>
  table.cases.map((c, i) => {
    const flow = create(FlowSchema, c.flow);
    if (flow.uuid === "") flow.uuid = `case-${t}-${i}`;
    if (!flow.time) flow.time = timestampFromMs(BASE_MS + t * 1000 + i);
    return { name: `${table.builder.name}/${c.name}`, c, flow };
  }),
);
export const allFlows: Flow[] = [...stored.map((s) => s.flow), ...EXPRESSION_FLOWS];

export function liveUuids(whitelist: FlowFilter[], blacklist: FlowFilter[]): string[] {
  const match = compileFilters(whitelist, blacklist);
  return allFlows
    .filter(match)
    .map((f) => f.uuid)
    .sort();
}

/** One query: a WHERE fragment and the uuids the live evaluator selects. */
export interface EquivalenceQuery {
  name: string;
  where: string;
  expected: string[];
}

/** The filter text of an expression; undefined for none or one without text (an empty group: "minus everything"). */
function textOf(expr: FilterExpr | undefined): string | undefined {
  try {
    return expr ? exprToText(expr) : undefined;
  } catch {
    return undefined;
  }
}

function whereOf(expr: FilterExpr | undefined): string {
  return expr ? exprToSql(expr).text : "1";
}

const ff = (init: Parameters<typeof create<typeof FlowFilterSchema>>[1]) => create(FlowFilterSchema, init);

/** Every case with a column, as a whitelist and as a blacklist; whitelist/blacklist combinations; the expression cases with a live equivalent. */
export function equivalenceQueries(): EquivalenceQuery[] {
  const out: EquivalenceQuery[] = [];
  for (const s of stored) {
    if (NO_COLUMN_CASES[s.name] !== undefined) continue;
    const f = ff(s.c.filter);
    out.push({ name: `${s.name} (whitelist)`, where: whereOf(flowFiltersToExpr([f], [])), expected: liveUuids([f], []) });
    out.push({ name: `${s.name} (blacklist)`, where: whereOf(flowFiltersToExpr([], [f])), expected: liveUuids([], [f]) });
  }
  const a = ff({ protocol: ["tcp"] });
  const b = ff({ verdict: [2] });
  const c = ff({ sourcePod: ["default/"] });
  const empty = ff({});
  const combos: [string, FlowFilter[], FlowFilter[]][] = [
    ["tcp or dropped, minus default/", [a, b], [c]],
    ["tcp, minus dropped or default/", [a], [b, c]],
    ["everything minus default/", [empty], [c]],
    ["tcp minus everything", [a], [empty]],
    ["no filters", [], []],
  ];
  for (const [name, w, bl] of combos) out.push({ name, where: whereOf(flowFiltersToExpr(w, bl)), expected: liveUuids(w, bl) });
  // the CLI sends observe's FlowFilters to the API as filter text (exprToText): the same flows through the parser
  const asText: [string, FlowFilter[], FlowFilter[]][] = [
    ...stored
      .filter((s) => NO_COLUMN_CASES[s.name] === undefined)
      .map((s): [string, FlowFilter[], FlowFilter[]] => [s.name, [ff(s.c.filter)], []]),
    ...combos,
  ];
  for (const [name, w, bl] of asText) {
    const text = textOf(flowFiltersToExpr(w, bl));
    if (text !== undefined) out.push({ name: `${name} (as filter text)`, where: whereOf(parseFilter(text)), expected: liveUuids(w, bl) });
  }
  for (const e of expressionCases) {
    const expected = e.live ? liveUuids(e.live.whitelist.map(ff), (e.live.blacklist ?? []).map(ff)) : [...(e.uuids ?? [])].sort();
    out.push({ name: `expression ${e.text}`, where: whereOf(parseFilter(e.text)), expected });
  }
  return out;
}
