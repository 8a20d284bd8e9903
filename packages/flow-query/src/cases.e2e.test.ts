// The SQL compiler against the live evaluator on a real ClickHouse (Debian's 18.16): every flow of the shared
// filter case tables is stored through the project's Flow → row path, and every case's filter must select in SQL
// exactly the flows the live filter (packages/flow compileFilters) matches — across all stored flows, not only its own.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { createFlowStore, type FlowStore } from "@flowlens/clickhouse";
import { compileFilters, type FilterCase, filterCaseTables } from "@flowlens/flow";
import { type Flow, type FlowFilter, FlowFilterSchema, FlowSchema } from "@flowlens/proto";
import { type ClickHouseServer, startClickHouse } from "@flowlens/test-harness/clickhouse";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FilterSyntaxError } from "./errors.js";
import type { FilterExpr } from "./expr.js";
import { EXPRESSION_FLOWS, expressionCases } from "./expression.cases.js";
import { flowFiltersToExpr } from "./flow-filters.js";
import { hubbleParamsToExpr } from "./hubble-params.js";
import { parseFilter } from "./parse.js";
import { exprToSql } from "./sql.js";

/** Case-table dimensions no `flows` column holds: the compiler must refuse them by name. */
const NO_COLUMN_CASES: Record<string, string> = {
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

interface Stored {
  name: string;
  c: FilterCase;
  flow: Flow;
}

const BASE_MS = Date.UTC(2026, 0, 15, 12, 0, 0);

// every case's flow, with a unique uuid unless the case is about uuids
const stored: Stored[] = filterCaseTables.flatMap((table, t) =>
  table.cases.map((c, i) => {
    const flow = create(FlowSchema, c.flow);
    if (flow.uuid === "") flow.uuid = `case-${t}-${i}`;
    if (!flow.time) flow.time = timestampFromMs(BASE_MS + t * 1000 + i);
    return { name: `${table.builder.name}/${c.name}`, c, flow };
  }),
);
const allFlows: Flow[] = [...stored.map((s) => s.flow), ...EXPRESSION_FLOWS];

function liveUuids(whitelist: FlowFilter[], blacklist: FlowFilter[]): string[] {
  const match = compileFilters(whitelist, blacklist);
  return allFlows
    .filter(match)
    .map((f) => f.uuid)
    .sort();
}

describe("filters compiled to SQL select what the live evaluator matches (real ClickHouse)", () => {
  let ch: ClickHouseServer;
  let store: FlowStore;

  async function sqlUuids(expr: FilterExpr | undefined): Promise<string[]> {
    const where = expr ? exprToSql(expr).text : "1";
    const rs = await store.client.query({
      query: `SELECT uuid FROM flowlens.flows FINAL WHERE ${where} ORDER BY uuid`,
      format: "JSONEachRow",
    });
    return (await rs.json<{ uuid: string }>()).map((r) => r.uuid).sort();
  }

  beforeAll(async () => {
    ch = await startClickHouse();
    store = createFlowStore({ url: ch.url });
    await store.migrate();
    await store.insertFlows(allFlows);
  });
  afterAll(async () => {
    await store?.close();
    await ch?.destroy();
  });

  test("every flow is stored once", async () => {
    expect(await sqlUuids(undefined)).toEqual(allFlows.map((f) => f.uuid).sort());
  });

  const supported = stored.filter((s) => NO_COLUMN_CASES[s.name] === undefined);

  test.each(supported.map((s) => [s.name, s] as const))("%s", async (_name, s) => {
    const ff = create(FlowFilterSchema, s.c.filter);
    // the case table's own verdict for its own flow still holds
    expect(compileFilters([ff], [])(s.flow)).toBe(s.c.match);
    const expected = liveUuids([ff], []);
    expect(await sqlUuids(flowFiltersToExpr([ff], []))).toEqual(expected);
    // and the same filter as a blacklist selects the complement
    expect(await sqlUuids(flowFiltersToExpr([], [ff]))).toEqual(liveUuids([], [ff]));
  });

  test.each(Object.entries(NO_COLUMN_CASES))("%s is refused by name: %s", (name, field) => {
    const s = stored.find((x) => x.name === name);
    expect(s, `case ${name} exists`).toBeDefined();
    const ff = create(FlowFilterSchema, s?.c.filter);
    expect(() => flowFiltersToExpr([ff], [])).toThrow(FilterSyntaxError);
    expect(() => flowFiltersToExpr([ff], [])).toThrow(`the ${field} filter`);
  });

  test.each(filterCaseTables.flatMap((t) => t.invalid.map((c) => [`${t.builder.name}/${c.name}`, c] as const)))(
    "invalid %s is refused with the live filter's message",
    (_name, c) => {
      const ff = create(FlowFilterSchema, c.filter);
      expect(() => flowFiltersToExpr([ff], [])).toThrow(FilterSyntaxError);
      expect(() => flowFiltersToExpr([ff], [])).toThrow(c.error);
    },
  );

  test("whitelists OR, blacklists subtract, an empty filter matches all", async () => {
    const a = create(FlowFilterSchema, { protocol: ["tcp"] });
    const b = create(FlowFilterSchema, { verdict: [2] });
    const c = create(FlowFilterSchema, { sourcePod: ["default/"] });
    const empty = create(FlowFilterSchema, {});
    for (const [w, bl] of [
      [[a, b], [c]],
      [[a], [b, c]],
      [[empty], [c]],
      [[a], [empty]],
      [[], []],
    ] as [FlowFilter[], FlowFilter[]][]) {
      expect(await sqlUuids(flowFiltersToExpr(w, bl))).toEqual(liveUuids(w, bl));
    }
  });

  test.each(expressionCases.map((c) => [c.text, c] as const))("expression %s", async (_text, c) => {
    const got = await sqlUuids(parseFilter(c.text));
    if (c.live)
      expect(got).toEqual(
        liveUuids(
          c.live.whitelist.map((f) => create(FlowFilterSchema, f)),
          (c.live.blacklist ?? []).map((f) => create(FlowFilterSchema, f)),
        ),
      );
    if (c.uuids) expect(got).toEqual([...c.uuids].sort());
  });

  test("Hubble query parameters select what the same observe filters select live", async () => {
    // "_" in a pod prefix is a literal, not LIKE's any-character: cartXv1-zzz is not cart_v1…
    const params = { "from-pod": ["shop/cart_v1", "default/frontend-"], protocol: ["tcp", "icmp"] };
    const got = await sqlUuids(hubbleParamsToExpr(params));
    expect(got).toEqual(liveUuids([create(FlowFilterSchema, { sourcePod: params["from-pod"], protocol: params.protocol })], []));
    expect(got).toEqual(["x-v4"]);
    expect(await sqlUuids(hubbleParamsToExpr({ "from-pod": ["shop/cart"] }))).toEqual(["x-v4", "x-v6b"]);
    const either = await sqlUuids(hubbleParamsToExpr({ namespace: ["kube-system"] }));
    expect(either).toEqual(
      liveUuids(
        [create(FlowFilterSchema, { sourcePod: ["kube-system/"] }), create(FlowFilterSchema, { destinationPod: ["kube-system/"] })],
        [],
      ),
    );
  });
});
