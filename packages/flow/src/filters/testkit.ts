// Test helper (not built): runs a dimension's case table through the builder and through compileFilters.
import { create } from "@bufbuild/protobuf";
import { FlowFilterSchema, FlowSchema } from "@flowlens/proto";
import { describe, expect, it } from "vitest";
import { compileFilters } from "./compile.js";
import { type FilterCaseTable, FilterError } from "./types.js";

export function describeFilterCases(table: FilterCaseTable): void {
  describe(`${table.builder.name} filter`, () => {
    it.each(table.cases)("$name", (c) => {
      const ff = create(FlowFilterSchema, c.filter);
      const flow = create(FlowSchema, c.flow);
      const preds = table.builder.build(ff);
      expect(preds.length).toBeGreaterThan(0);
      expect(preds.every((p) => p(flow))).toBe(c.match);
      expect(compileFilters([ff], [])(flow)).toBe(c.match);
    });
    it.each(table.invalid)("rejects $name", (c) => {
      const ff = create(FlowFilterSchema, c.filter);
      expect(() => table.builder.build(ff)).toThrow(FilterError);
      expect(() => table.builder.build(ff)).toThrow(c.error);
    });
  });
}
