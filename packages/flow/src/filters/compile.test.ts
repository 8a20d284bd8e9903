// Tests for whitelist/blacklist combination, unsupported fields and registry completeness.
import { create } from "@bufbuild/protobuf";
import { FlowFilterSchema, FlowSchema, Verdict } from "@flowlens/proto";
import { describe, expect, it } from "vitest";
import { filterCaseTables } from "./cases.js";
import { compileFilters } from "./compile.js";
import { filterBuilders } from "./registry.js";
import { FilterError } from "./types.js";

const ff = (init: Parameters<typeof create<typeof FlowFilterSchema>>[1]) => create(FlowFilterSchema, init);
const dropped = create(FlowSchema, { verdict: Verdict.DROPPED, nodeName: "n1", IP: { source: "10.0.0.1" } });
const forwarded = create(FlowSchema, { verdict: Verdict.FORWARDED, nodeName: "n2", IP: { source: "10.0.0.2" } });

describe("compileFilters", () => {
  it("matches everything with no filters", () => {
    const m = compileFilters([], []);
    expect([m(dropped), m(forwarded)]).toEqual([true, true]);
  });
  it("ORs whitelist filters", () => {
    const m = compileFilters([ff({ verdict: [Verdict.DROPPED] }), ff({ nodeName: ["n2"] })], []);
    expect([m(dropped), m(forwarded)]).toEqual([true, true]);
  });
  it("ANDs fields inside one filter", () => {
    const m = compileFilters([ff({ verdict: [Verdict.DROPPED], nodeName: ["n2"] })], []);
    expect([m(dropped), m(forwarded)]).toEqual([false, false]);
  });
  it("subtracts the blacklist", () => {
    const m = compileFilters([ff({ sourceIp: ["10.0.0.0/8"] })], [ff({ verdict: [Verdict.DROPPED] })]);
    expect([m(dropped), m(forwarded)]).toEqual([false, true]);
  });
  it("blacklist alone excludes its matches", () => {
    const m = compileFilters([], [ff({ nodeName: ["n1"] })]);
    expect([m(dropped), m(forwarded)]).toEqual([false, true]);
  });
  it("throws FilterError naming the field at build time", () => {
    expect(() => compileFilters([ff({ destinationPort: ["x"] })], [])).toThrow(
      'invalid destination_port filter "x": not a port number (0-65535)',
    );
    expect(() => compileFilters([], [ff({ sourceIp: ["nope"] })])).toThrow(FilterError);
  });
  it("rejects CEL expressions instead of ignoring them", () => {
    expect(() => compileFilters([ff({ experimental: { celExpression: ["true"] } })], [])).toThrow("experimental.cel_expression");
  });
  it("has a builder for every FlowFilter list field and a case table for every builder", () => {
    const handled = new Set(filterBuilders.flatMap((b) => b.fields));
    const listFields = Object.entries(create(FlowFilterSchema, {}))
      .filter(([, v]) => Array.isArray(v))
      .map(([k]) => k);
    expect(listFields.filter((f) => !handled.has(f as never))).toEqual([]);
    expect(new Set(filterCaseTables.map((t) => t.builder))).toEqual(new Set(filterBuilders));
  });
});
