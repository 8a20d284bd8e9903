// rowsToTsv: one line per row, columns in table order, fields escaped so each stays one field.
import { describe, expect, test } from "vitest";
import { flowToRow } from "./rows.js";
import { FLOW_COLUMN_NAMES } from "./schema.js";
import { testFlow } from "./testkit.js";
import { rowsToTsv, TSV_COLUMNS } from "./tsv.js";

describe("rowsToTsv", () => {
  const row = flowToRow(testFlow({ uuid: "u-1", timeMs: Date.UTC(2025, 0, 1) }));

  test("writes the table's columns in the table's order", () => {
    expect(TSV_COLUMNS).toEqual(FLOW_COLUMN_NAMES);
  });

  test("one line per row with one field per column", () => {
    const text = rowsToTsv([row, { ...row, uuid: "u-2" }]);
    const lines = text.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("");
    const fields = lines[0].split("\t");
    expect(fields).toHaveLength(FLOW_COLUMN_NAMES.length);
    expect(fields[FLOW_COLUMN_NAMES.indexOf("time")]).toBe("2025-01-01 00:00:00");
    expect(fields[FLOW_COLUMN_NAMES.indexOf("uuid")]).toBe("u-1");
    expect(fields[FLOW_COLUMN_NAMES.indexOf("src_labels")]).toBe("['k8s:app=frontend','k8s:tier=web']");
    expect(lines[1].split("\t")[FLOW_COLUMN_NAMES.indexOf("uuid")]).toBe("u-2");
  });

  test.each([
    ["tab", "a\tb", "a\\tb"],
    ["newline", "a\nb", "a\\nb"],
    ["carriage return", "a\rb", "a\\rb"],
    ["backslash", "a\\b", "a\\\\b"],
    ["quote stays", "it's", "it's"],
  ])("escapes a %s in a string field", (_n, value, want) => {
    const fields = rowsToTsv([{ ...row, src_pod: value }]).split("\t");
    expect(fields[FLOW_COLUMN_NAMES.indexOf("src_pod")]).toBe(want);
  });

  test("quotes array elements", () => {
    const fields = rowsToTsv([{ ...row, src_labels: ["a'b", "c\\d", "e\tf", "g\nh"] }]).split("\t");
    expect(fields[FLOW_COLUMN_NAMES.indexOf("src_labels")]).toBe("['a\\'b','c\\\\d','e\\tf','g\\nh']");
    expect(rowsToTsv([{ ...row, tcp_flags: [] }]).split("\t")[FLOW_COLUMN_NAMES.indexOf("tcp_flags")]).toBe("[]");
  });

  test("refuses non-finite numbers and empty input makes no text", () => {
    expect(() => rowsToTsv([{ ...row, bytes: Number.NaN }])).toThrow(/cannot write NaN/);
    expect(rowsToTsv([{ ...row, time: "2025-01-01\tx" }]).split("\t")[0]).toBe("2025-01-01\\tx");
    expect(rowsToTsv([])).toBe("");
  });
});
