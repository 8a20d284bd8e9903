import { describe, expect, it } from "vitest";
import { policyCases, tracePolicyCase } from "./cases.js";

describe("policyCases: trace gives each case's expected verdict", () => {
  it.each(policyCases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const { result } = tracePolicyCase(c);
    expect(result.verdict, result.lines.join("\n")).toBe(c.expected);
  });

  it("case names are unique (the e2e suite reports by name)", () => {
    expect(new Set(policyCases.map((c) => c.name)).size).toBe(policyCases.length);
  });
});
