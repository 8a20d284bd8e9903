// The SQL compiler against the live evaluator on a real ClickHouse (Debian's 18.16): every flow of the shared
// filter case tables is stored through the project's Flow → row path, and every case's filter must select in SQL
// exactly the flows the live filter (packages/flow compileFilters) matches — across all stored flows, not only its own.
// (The same queries run on current ClickHouse through modern/run.sh.)
import { create } from "@bufbuild/protobuf";
import { createFlowStore, type FlowStore } from "@flowlens/clickhouse";
import { compileFilters, filterCaseTables } from "@flowlens/flow";
import { FlowFilterSchema } from "@flowlens/proto";
import { type ClickHouseServer, startClickHouse } from "@flowlens/test-harness/clickhouse";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { allFlows, equivalenceQueries, liveUuids, NO_COLUMN_CASES, stored } from "./equivalence.js";
import { FilterSyntaxError } from "./errors.js";
import type { FilterExpr } from "./expr.js";
import { flowFiltersToExpr } from "./flow-filters.js";
import { hubbleParamsToExpr } from "./hubble-params.js";
import { parseFilter } from "./parse.js";
import { exprToSql } from "./sql.js";

describe("filters compiled to SQL select what the live evaluator matches (real ClickHouse)", () => {
  let ch: ClickHouseServer;
  let store: FlowStore;

  async function sqlUuids(where: string): Promise<string[]> {
    const rs = await store.client.query({
      query: `SELECT uuid FROM flowlens.flows FINAL WHERE ${where} ORDER BY uuid`,
      format: "JSONEachRow",
    });
    return (await rs.json<{ uuid: string }>()).map((r) => r.uuid).sort();
  }
  const whereOf = (e: FilterExpr | undefined) => (e ? exprToSql(e).text : "1");

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
    expect(await sqlUuids("1")).toEqual(allFlows.map((f) => f.uuid).sort());
  });

  test("the case tables' own verdicts hold for their own flows", () => {
    for (const s of stored) expect(compileFilters([create(FlowFilterSchema, s.c.filter)], [])(s.flow), s.name).toBe(s.c.match);
  });

  test.each(equivalenceQueries().map((q) => [q.name, q] as const))("%s", async (_name, q) => {
    expect(await sqlUuids(q.where)).toEqual(q.expected);
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

  test("Hubble query parameters select what the same observe filters select live", async () => {
    // "_" in a pod prefix is a literal, not LIKE's any-character: cartXv1-zzz is not cart_v1…
    const params = { "from-pod": ["shop/cart_v1", "default/frontend-"], protocol: ["tcp", "icmp"] };
    const got = await sqlUuids(whereOf(hubbleParamsToExpr(params)));
    expect(got).toEqual(liveUuids([create(FlowFilterSchema, { sourcePod: params["from-pod"], protocol: params.protocol })], []));
    expect(got).toEqual(["x-v4"]);
    expect(await sqlUuids(whereOf(hubbleParamsToExpr({ "from-pod": ["shop/cart"] })))).toEqual(["x-v4", "x-v6b"]);
    const either = await sqlUuids(whereOf(hubbleParamsToExpr({ namespace: ["kube-system"], verdict: ["dropped"] })));
    expect(either).toEqual(
      liveUuids(
        [
          create(FlowFilterSchema, { sourcePod: ["kube-system/"], verdict: [2] }),
          create(FlowFilterSchema, { destinationPod: ["kube-system/"], verdict: [2] }),
        ],
        [],
      ),
    );
    expect(either).toEqual(["x-v6"]);
  });

  test("hostile values stay values: quotes, backslashes and SQL in a filter match nothing and break nothing", async () => {
    for (const text of [
      `source_pod = 'x\\' OR 1=1 --'`,
      `source_pod = "'; DROP TABLE flowlens.flows; --"`,
      `http_url LIKE "%\\\\' OR '1'='1"`,
      `dns_query ~ 'x\\' OR 1=1 --'`,
      `source_label = 'app=x'`,
      `uuid IN ('a\\nb', 'c\\0d', '{p:String}')`,
    ]) {
      expect(await sqlUuids(exprToSql(parseFilter(text)).text), text).toEqual([]);
    }
    expect(await sqlUuids("1")).toHaveLength(allFlows.length);
  });
});
