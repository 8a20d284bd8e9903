// literal(), ident() and sql``: the one path from values to SQL text, with nasty inputs.
import { describe, expect, test } from "vitest";
import { dateTimeText, ident, joinSql, literal, qualified, Sql, type SqlValue, sql } from "./sql.js";

describe("literal", () => {
  const cases: [string, SqlValue, string][] = [
    ["plain string", "web", "'web'"],
    ["empty string", "", "''"],
    ["single quote", "it's", "'it\\'s'"],
    ["quote injection", "x' OR 1=1 --", "'x\\' OR 1=1 --'"],
    ["backslash", "a\\b", "'a\\\\b'"],
    ["backslash before quote", "\\'", "'\\\\\\''"],
    ["trailing backslash", "a\\", "'a\\\\'"],
    ["newline, tab, CR", "a\nb\tc\rd", "'a\\nb\\tc\\rd'"],
    ["NUL byte", "a\0b", "'a\\0b'"],
    ["other control bytes", "\x01\x1f\x7f", "'\\x01\\x1f\\x7f'"],
    ["unicode kept", "päd-ü 🚀", "'päd-ü 🚀'"],
    ["semicolon and comment", "a; DROP TABLE flows; /*", "'a; DROP TABLE flows; /*'"],
    ["braces (no query params)", "{name:String}", "'{name:String}'"],
    ["integer", 42, "42"],
    ["negative", -7, "-7"],
    ["float", 1.5, "1.5"],
    ["negative zero", -0, "0"],
    ["big float", 1e21, "1e+21"],
    ["bigint", 18446744073709551615n, "18446744073709551615"],
    ["negative bigint", -5n, "-5"],
    ["true", true, "1"],
    ["false", false, "0"],
    ["date", new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)), "toDateTime('2024-01-02 03:04:05', 'UTC')"],
    ["empty array", [], "[]"],
    ["string array", ["a", "b'c"], "['a', 'b\\'c']"],
    ["number array", [1, 2, 3], "[1, 2, 3]"],
    ["nested array", [[1], [2, 3]], "[[1], [2, 3]]"],
  ];
  test.each(cases)("%s", (_name, value, want) => {
    expect(literal(value).text).toBe(want);
  });

  test.each([
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["-Infinity", Number.NEGATIVE_INFINITY],
    ["NaN inside an array", [1, Number.NaN]],
    ["invalid Date", new Date("nope")],
    ["null", null],
    ["undefined", undefined],
    ["object", { a: 1 }],
  ])("refuses %s", (_name, value) => {
    expect(() => literal(value as unknown as SqlValue)).toThrow(/SQL value|Date/);
  });
});

describe("ident", () => {
  test.each(["flows", "flows_minute", "_x", "A1"])("accepts %s", (name) => {
    expect(ident(name).text).toBe(name);
  });
  test.each(["", "1abc", "a-b", "a b", "a.b", "a`b", "a;DROP", "flows'", "ä", "x".repeat(129)])("refuses %j", (name) => {
    expect(() => ident(name)).toThrow(/invalid SQL identifier/);
  });
  test("qualified validates both parts", () => {
    expect(qualified("flowlens", "flows").text).toBe("flowlens.flows");
    expect(() => qualified("flowlens", "flows; DROP")).toThrow(/invalid SQL identifier/);
  });
});

describe("sql template", () => {
  test("values become literals, Sql pieces pass through", () => {
    const table = qualified("flowlens", "flows");
    const q = sql`SELECT count() FROM ${table} WHERE src_pod = ${"it's"} AND has(${[80, 443]}, dst_port) AND time >= ${new Date(0)}`;
    expect(q.text).toBe(
      "SELECT count() FROM flowlens.flows WHERE src_pod = 'it\\'s' AND has([80, 443], dst_port) AND time >= toDateTime('1970-01-01 00:00:00', 'UTC')",
    );
  });
  test("joinSql joins pieces", () => {
    expect(joinSql([new Sql("a = 1"), sql`b = ${"x"}`], " AND ").text).toBe("a = 1 AND b = 'x'");
  });
  test("dateTimeText is UTC with second precision", () => {
    expect(dateTimeText(new Date("2030-12-31T23:59:59.999Z"))).toBe("2030-12-31 23:59:59");
  });
});
