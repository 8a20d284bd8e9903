// exprToText: FlowFilters and parsed filters printed and parsed back compile to the same SQL.
import { describe, expect, test } from "vitest";
import { cond, notExpr, orExprs } from "./expr.js";
import { flowFiltersToExpr } from "./flow-filters.js";
import { parseFilter } from "./parse.js";
import { exprToSql } from "./sql.js";
import { exprToText } from "./text.js";

const roundTrip = (e: Parameters<typeof exprToText>[0]) => exprToSql(parseFilter(exprToText(e))).text;

describe("exprToText", () => {
  test("FlowFilters with either-side pairs and a blacklist keep their meaning", () => {
    const e = flowFiltersToExpr(
      [
        { sourcePod: ["shop/web"], sourcePort: ["80"], verdict: [2] },
        { destinationPod: ["shop/web"], destinationPort: ["80"], verdict: [2] },
      ],
      [{ sourceIp: ["10.0.0.0/8"] }, { tcpFlags: [{ SYN: true }] }],
    );
    if (!e) throw new Error("no expression");
    expect(roundTrip(e)).toBe(exprToSql(e).text);
    expect(exprToText(e)).toContain("NOT (");
  });

  test("quotes and escapes every value, so user text stays a value", () => {
    const e = cond("source_pod", "=", ["a'b\\c\nd"]);
    expect(exprToText(e)).toBe("source_pod = 'a\\'b\\\\c\\nd'");
    expect(parseFilter(exprToText(e))).toMatchObject({ field: "source_pod", op: "=", values: ["a'b\\c\nd"] });
  });

  test("IN, NOT IN, LIKE and nested groups print as the grammar reads them", () => {
    const e = orExprs(
      cond("verdict", "in", ["DROPPED", "ERROR"]),
      notExpr(cond("source_pod", "like", ["web%"])),
      cond("source_port", "not in", ["1", "2"]),
    );
    if (!e) throw new Error("no expression");
    expect(exprToText(e)).toBe("verdict IN ('DROPPED', 'ERROR') OR (NOT (source_pod LIKE 'web%')) OR source_port NOT IN ('1', '2')");
    expect(roundTrip(e)).toBe(exprToSql(e).text);
  });

  test("an empty group has no text", () => {
    expect(() => exprToText({ kind: "and", items: [] })).toThrow(/empty AND/);
  });
});
