// Filters on rollups: the catalog says which fields each rollup has; those compile onto its columns (and onto
// raw flows read by connection), anything else is refused with a clear message so the API falls back to flows.
import { describe, expect, test } from "vitest";
import { ORIENTED_FLOWS } from "./conditions.js";
import { FilterSyntaxError } from "./errors.js";
import { parseFilter } from "./parse.js";
import { exprToSql, fieldsOnRollup } from "./sql.js";

const on = (text: string, table: string) => exprToSql(parseFilter(text), table).text;

describe("filters on rollups", () => {
  test("pod, namespace, workload and verdict compile onto flows_minute's oriented columns", () => {
    expect(on("source_pod = shop/web-1 AND verdict = dropped", "flows_minute")).toBe(
      "(((source_namespace = 'shop' AND source_pod = 'web-1')) AND (verdict = 'DROPPED'))",
    );
    expect(on("workload = api", "flows_minute")).toBe("((source_workload = 'api') OR (destination_workload = 'api'))");
  });

  test("the coarse rollups have drop reason and direction but no pods", () => {
    expect(on("drop_reason = POLICY_DENIED AND traffic_direction = ingress", "flows_1h")).toBe(
      "((drop_reason = 'POLICY_DENIED') AND (traffic_direction = 'INGRESS'))",
    );
    expect(fieldsOnRollup(parseFilter("namespace = a AND drop_reason = 133"), "flows_5m")).toBe(true);
    expect(fieldsOnRollup(parseFilter("namespace = a AND drop_reason = 133"), "flows_minute")).toBe(false);
    expect(fieldsOnRollup(parseFilter("pod = x"), "flows_1h")).toBe(false);
    expect(fieldsOnRollup(parseFilter("source_ip = 10.0.0.1"), "flows_minute")).toBe(false);
    expect(fieldsOnRollup(undefined, "flows_1h")).toBe(true);
    expect(() => on("pod = x", "flows_1h")).toThrow(FilterSyntaxError);
    expect(() => on("pod = x", "flows_1h")).toThrow(/^source_pod is not a column of flows_1h at 1:1$/);
  });

  test("raw flows read by connection: rollup fields use the oriented columns, the rest the raw ones", () => {
    expect(on("destination_namespace = db AND source_ip = 10.0.0.1", ORIENTED_FLOWS)).toMatch(
      /^\(\(destination_namespace = 'db'\) AND \(.*src_ip.*\)\)$/,
    );
    // and on the plain table nothing changes (Hubble's meaning: the flow's own source and destination)
    expect(on("destination_namespace = db", "flows")).toBe("(dst_namespace = 'db')");
  });
});
