import { describe, expect, it } from "vitest";
import { compileRegex, MAX_PATTERN_LENGTH, MAX_PROGRAM_SIZE, RegexError, regexProblem } from "./index.js";

describe("compileRegex", () => {
  it("full mode matches the whole input, search mode anywhere", () => {
    const full = compileRegex("/public/.*", "full");
    expect(full.test("/public/a")).toBe(true);
    expect(full.test("/x/public/a")).toBe(false);
    expect(compileRegex("GET|HEAD", "full").test("GETX")).toBe(false);
    expect(compileRegex("GET|HEAD", "full").test("HEAD")).toBe(true);
    const search = compileRegex("public", "search");
    expect(search.test("/x/public/a")).toBe(true);
    expect(search.test("/x/private")).toBe(false);
  });

  it("is case-sensitive unless the pattern says (?i)", () => {
    expect(compileRegex("GET", "full").test("get")).toBe(false);
    expect(compileRegex("(?i)GET", "full").test("get")).toBe(true);
  });

  it("matches catastrophic-backtracking patterns in linear time", () => {
    const evil = "a".repeat(100_000);
    // V8's backtracking engine needs ~2^n steps for these on a non-matching input of n "a"s, so it would
    // never finish within the test timeout; the milliseconds are measured by bench/cpu-bounds.ts.
    for (const p of ["(a+)+b", "(a|a)*b", "(a*)*b", "(?:a|aa)+$b"]) {
      expect(compileRegex(p, "full").test(evil), p).toBe(false);
    }
    expect(compileRegex("(x+x+)+y", "search").test("x".repeat(50_000))).toBe(false);
  });

  it("refuses what RE2 refuses (lookaround, backreferences) with a one-line message", () => {
    for (const [p, why] of [
      ["/(?!admin).*", "invalid or unsupported Perl syntax"],
      ["(?<=a)b", "invalid named capture"],
      ["(a)\\1", "invalid escape sequence"],
      ["([", "missing closing ]"],
    ] as const) {
      const msg = regexProblem(p, "full");
      expect(msg, p).toContain(JSON.stringify(p));
      expect(msg, p).toContain(why);
      expect(msg).not.toContain("\n");
      expect(() => compileRegex(p, "search")).toThrow(RegexError);
    }
  });

  it("limits the pattern length and the compiled program size", () => {
    expect(regexProblem("a".repeat(MAX_PATTERN_LENGTH), "full")).toBeUndefined();
    expect(regexProblem("a".repeat(MAX_PATTERN_LENGTH + 1), "full")).toMatch(
      new RegExp(`^"a{59}…" \\(${MAX_PATTERN_LENGTH + 1} characters\\) is longer than ${MAX_PATTERN_LENGTH} characters$`),
    );
    expect(regexProblem("[a-z]{1000}", "full")).toBeUndefined();
    const big = "(a|b|c|d){0,1000}";
    expect(regexProblem(big, "search")).toMatch(/is too large: its compiled program has \d+ instructions, at most 2000$/);
    expect(MAX_PROGRAM_SIZE).toBe(2000);
    // Nested repeats past RE2's own repeat limit.
    expect(regexProblem("((a{100}){100}){100}", "full")).toContain("invalid repeat count");
  });

  it("returns the same compiled regex for the same pattern and mode", () => {
    expect(compileRegex("/a.*", "full")).toBe(compileRegex("/a.*", "full"));
    expect(compileRegex("/a.*", "full")).not.toBe(compileRegex("/a.*", "search"));
  });
});
